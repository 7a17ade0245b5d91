// Helpline web chat. Vanilla JS, no build step.
//
// Security: text from customers, agents and the bot is only ever put into the page with
// textContent / createTextNode. **bold**, `code`, line breaks and http(s) links are built as
// DOM nodes; innerHTML is never used.
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("chat-config").textContent);
  const S = config.strings;
  const TOKEN_KEY = "helpline.chat.token";
  const POLL_MS = 3000;

  const list = document.getElementById("messages");
  const form = document.getElementById("composer");
  const input = document.getElementById("message-text");
  const sendButton = document.getElementById("send");
  const statusLine = document.getElementById("status");

  const shown = new Map(); // message id -> <li>
  let lastId = 0;
  let token = localStorage.getItem(TOKEN_KEY);
  let source = null;
  let pollTimer = null;
  let liveStarted = false;

  // Helpers -------------------------------------------------------------------------

  function uuid() {
    if (window.crypto && crypto.randomUUID) {
      return crypto.randomUUID();
    }
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  function sleep(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  function showStatus(text) {
    statusLine.textContent = text;
    statusLine.hidden = !text;
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // Safe formatting -------------------------------------------------------------------

  const INLINE = /(\*\*[^*\n]+?\*\*|`[^`\n]+`|https?:\/\/[^\s<>"']+)/g;
  const TRAILING = /[.,;:!?)\]]+$/;

  function appendLink(parent, raw) {
    const trail = (raw.match(TRAILING) || [""])[0];
    const href = trail ? raw.slice(0, -trail.length) : raw;
    let url = null;
    try {
      url = new URL(href);
    } catch (e) {
      url = null;
    }
    if (url && (url.protocol === "http:" || url.protocol === "https:")) {
      const a = el("a", "", href);
      a.href = url.href;
      a.target = "_blank";
      a.rel = "noopener noreferrer nofollow";
      parent.appendChild(a);
    } else {
      parent.appendChild(document.createTextNode(href));
    }
    if (trail) parent.appendChild(document.createTextNode(trail));
  }

  function appendLine(parent, line) {
    let last = 0;
    for (const match of line.matchAll(INLINE)) {
      const token = match[0];
      if (match.index > last) {
        parent.appendChild(document.createTextNode(line.slice(last, match.index)));
      }
      if (token.startsWith("**")) {
        parent.appendChild(el("strong", "", token.slice(2, -2)));
      } else if (token.startsWith("`")) {
        parent.appendChild(el("code", "", token.slice(1, -1)));
      } else {
        appendLink(parent, token);
      }
      last = match.index + token.length;
    }
    if (last < line.length) parent.appendChild(document.createTextNode(line.slice(last)));
  }

  function renderText(parent, text) {
    text.split("\n").forEach((line, i) => {
      if (i > 0) parent.appendChild(document.createElement("br"));
      appendLine(parent, line);
    });
  }

  // Messages -----------------------------------------------------------------------------

  function senderClass(sender) {
    return /^[a-z]+$/.test(sender) ? sender : "system";
  }

  function whoLabel(m) {
    if (m.sender === "agent") return m.agent_name || S.support;
    if (m.sender === "bot") return S.bot;
    return "";
  }

  function buildMessage(m) {
    const li = el("li", `msg msg-${senderClass(m.sender)}`);
    const who = whoLabel(m);
    if (who) li.appendChild(el("div", "who", who));
    const bubble = el("div", "bubble");
    renderText(bubble, m.text);
    li.appendChild(bubble);
    if (m.buttons && m.buttons.length) {
      const row = el("div", "buttons");
      for (const b of m.buttons) {
        const button = el("button", "quick", b.title);
        button.type = "button";
        button.addEventListener("click", () => send(b.title, b.payload));
        row.appendChild(button);
      }
      li.appendChild(row);
    }
    if (m.created_at) {
      const when = new Date(m.created_at);
      if (!Number.isNaN(when.getTime())) {
        const time = el("time", "when", when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }));
        time.dateTime = when.toISOString();
        li.appendChild(time);
      }
    }
    return li;
  }

  function renderMessage(m) {
    if (typeof m.id !== "number" || shown.has(m.id)) return;
    const li = buildMessage(m);
    li.dataset.id = String(m.id);
    // Keep id order even when the stream and a POST answer arrive interleaved.
    let before = null;
    for (const [id, node] of shown) {
      if (id > m.id && (before === null || id < Number(before.dataset.id))) before = node;
    }
    const pending = list.querySelector(".msg.pending");
    list.insertBefore(li, before || pending);
    shown.set(m.id, li);
    lastId = Math.max(lastId, m.id);
    li.scrollIntoView({ block: "end", behavior: "smooth" });
  }

  function renderGreeting() {
    list.appendChild(buildMessage({ sender: "bot", text: config.greeting, buttons: [] }));
  }

  // API -----------------------------------------------------------------------------------

  function api(method, path, body) {
    const headers = { Accept: "application/json" };
    if (token) headers.Authorization = `Bearer ${token}`;
    const init = { method, headers };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(path, init);
  }

  async function newSession() {
    const res = await fetch(`/api/chat/session?lang=${encodeURIComponent(config.lang)}`, {
      method: "POST",
    });
    if (!res.ok) throw new Error(`session: HTTP ${res.status}`);
    token = (await res.json()).token;
    localStorage.setItem(TOKEN_KEY, token);
  }

  function forgetSession() {
    token = null;
    localStorage.removeItem(TOKEN_KEY);
    stopLive();
  }

  async function fetchNew() {
    const res = await api("GET", `/api/chat/messages?after=${lastId}`);
    if (res.status === 401) {
      forgetSession();
      return;
    }
    if (!res.ok) throw new Error(`messages: HTTP ${res.status}`);
    for (const m of await res.json()) renderMessage(m);
  }

  // Live updates: Server-Sent Events, with polling while the stream is down ------------------

  function startPolling() {
    if (pollTimer === null) {
      pollTimer = setInterval(() => fetchNew().catch(() => showStatus(S.offline)), POLL_MS);
    }
  }

  function stopPolling() {
    if (pollTimer !== null) {
      clearInterval(pollTimer);
      pollTimer = null;
    }
  }

  async function openStream() {
    if (!token || !liveStarted) return;
    try {
      const res = await api("POST", "/api/chat/events/ticket");
      if (res.status === 401) {
        forgetSession();
        return;
      }
      if (!res.ok) throw new Error(`ticket: HTTP ${res.status}`);
      const { ticket } = await res.json();
      const url = `/api/chat/events?ticket=${encodeURIComponent(ticket)}&after=${lastId}`;
      source = new EventSource(url);
      source.addEventListener("message", (event) => renderMessage(JSON.parse(event.data)));
      source.addEventListener("open", () => {
        stopPolling();
        showStatus("");
      });
      source.addEventListener("error", () => {
        startPolling();
        if (source && source.readyState === EventSource.CLOSED) {
          // The ticket expired or the server refused: get a new ticket in a moment.
          source = null;
          setTimeout(openStream, 5000);
        }
      });
    } catch (e) {
      startPolling();
      setTimeout(openStream, 10000);
    }
  }

  function startLive() {
    if (liveStarted || !token) return;
    liveStarted = true;
    if ("EventSource" in window) {
      openStream();
    } else {
      startPolling();
    }
  }

  function stopLive() {
    liveStarted = false;
    stopPolling();
    if (source) source.close();
    source = null;
  }

  // Sending ---------------------------------------------------------------------------------

  function showPending(text) {
    const li = buildMessage({ sender: "customer", text, buttons: [] });
    li.classList.add("pending");
    li.setAttribute("aria-busy", "true");
    list.appendChild(li);
    li.scrollIntoView({ block: "end" });
    return li;
  }

  async function post(body) {
    // The same client_id on every attempt: the server stores the message once.
    for (let attempt = 0; ; attempt += 1) {
      let res = null;
      try {
        res = await api("POST", "/api/chat/messages", body);
      } catch (e) {
        res = null; // network failure: retry below
      }
      if (res && res.status === 401 && attempt === 0) {
        forgetSession();
        await newSession();
        continue;
      }
      if (res && res.ok) return res.json();
      if (res && res.status < 500) throw new Error(`send: HTTP ${res.status}`);
      if (attempt >= 4) throw new Error("send: gave up");
      await sleep(500 * 2 ** attempt);
    }
  }

  async function send(text, payload) {
    const clean = (text || "").trim();
    if (!clean && !payload) return false;
    const body = { client_id: uuid(), text: clean, payload: payload || null };
    const pending = showPending(clean);
    sendButton.disabled = true;
    showStatus("");
    try {
      if (!token) await newSession();
      const answer = await post(body);
      pending.remove();
      for (const m of answer.messages) renderMessage(m);
      startLive();
      return true;
    } catch (e) {
      pending.remove();
      showStatus(S.failed);
      return false;
    } finally {
      sendButton.disabled = false;
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = input.value;
    if (!text.trim()) return;
    input.value = "";
    resize();
    if (!(await send(text, null))) input.value = text;
    input.focus();
  });

  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  function resize() {
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight, 160)}px`;
  }
  input.addEventListener("input", resize);

  // Start -----------------------------------------------------------------------------------

  renderGreeting();
  if (token) {
    fetchNew()
      .then(startLive)
      .catch(() => {
        showStatus(S.offline);
        startLive();
      });
  }
})();
