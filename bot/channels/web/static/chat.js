// Helpline web chat. Vanilla JS, no build step.
//
// Security: text from customers, agents and the bot is only ever put into the page with
// textContent / createTextNode, or as the server's formatted HTML rebuilt node by node from
// an allowlist (markup.js); innerHTML is never used.
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("chat-config").textContent);
  // The page's own words start in the site's language and follow the conversation's once
  // the bot knows it (useLanguage).
  let lang = config.lang;
  let S = config.languages[lang].strings;
  const TOKEN_KEY = "helpline.chat.token";
  const POLL_MS = 3000;

  const list = document.getElementById("messages");
  const form = document.getElementById("composer");
  const input = document.getElementById("message-text");
  const statusLine = document.getElementById("status");
  const typingLine = document.getElementById("typing");
  const closeButton = document.getElementById("close-chat");
  const avatar = document.getElementById("chat-avatar");
  const heading = document.getElementById("chat-title");
  const subtitle = document.getElementById("chat-subtitle");
  const newButton = document.getElementById("new-conversation");
  const pageTitle = document.title;

  const shown = new Map(); // message id -> <li>
  // Messages after which the conversation is over (until the customer writes again).
  const ENDING_KINDS = new Set(["resolved", "ended", "rating_thanks"]);
  // Messages that say an agent has taken the conversation, and that the agent has left it
  // (back in the queue, passed to another team or a colleague, or back with the bot).
  const JOINED_KINDS = new Set(["agent_joined", "agent_joined_no_team"]);
  const LEFT_KINDS = new Set([
    "released",
    "agent_inactive",
    "transferred_team",
    "transferred_agent",
    "handed_back",
  ]);
  // Messages after which a person, not the bot, will answer (until the conversation is
  // back with the bot or over); the other kinds that leave an agent keep the customer waiting.
  const WAITING_KINDS = new Set(["handoff"]);
  const BACK_WITH_BOT_KINDS = new Set(["handed_back", ...ENDING_KINDS]);
  let lastId = 0;
  let unread = 0; // messages for the customer that arrived while they were not looking
  let frameOpen = false; // inside the widget: whether the site shows us
  let token = null;
  let source = null;
  let pollTimer = null;
  let liveStarted = false;
  let botTyping = false;
  let agentTyping = null; // the name of the agent typing to us, from the event stream
  let botTypingTimer = null;
  let initialLoaded = false; // the first read of the log shows history: nothing is unread

  // The conversation token -------------------------------------------------------------
  //
  // It lives in our localStorage. A browser may deny storage to a chat framed by another
  // site (third-party storage blocking); the widget then keeps it in the embedding page's
  // storage for us, through postMessage, so the conversation still survives a reload.

  let storage = null;
  try {
    storage = window.localStorage;
    storage.getItem(TOKEN_KEY);
  } catch (e) {
    storage = null;
  }

  function fromParent(event) {
    return config.embed && event.source === window.parent && event.data;
  }

  // Inside the widget, the site's page learns whether there is a conversation to follow.
  function tellActive(active) {
    if (config.embed) window.parent.postMessage({ helpline: "active", active }, "*");
  }

  function saveToken(value) {
    tellActive(Boolean(value));
    if (storage) {
      if (value) storage.setItem(TOKEN_KEY, value);
      else storage.removeItem(TOKEN_KEY);
    } else if (config.embed) {
      window.parent.postMessage({ helpline: "save-token", token: value }, "*");
    }
  }

  function loadToken() {
    if (storage) return Promise.resolve(storage.getItem(TOKEN_KEY));
    if (!config.embed) return Promise.resolve(null);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(null), 1000); // a page without the widget
      window.addEventListener("message", function onToken(event) {
        const data = fromParent(event);
        if (!data || data.helpline !== "token") return;
        window.removeEventListener("message", onToken);
        clearTimeout(timer);
        resolve(typeof data.token === "string" ? data.token : null);
      });
      window.parent.postMessage({ helpline: "load-token" }, "*");
    });
  }

  // Times ---------------------------------------------------------------------------
  //
  // On the desk's clock, in the page's language: the bot's own times ("we are back at
  // 08:00") are the desk's, so the message times beside them must be too. A customer whose
  // browser keeps another zone sees the zone's name after each time.

  const deskZone = config.time_zone || "UTC";
  let elsewhere = false;
  try {
    elsewhere = Intl.DateTimeFormat().resolvedOptions().timeZone !== deskZone;
  } catch (e) {
    elsewhere = true;
  }
  // en-GB: a 24-hour clock and zone names such as "CET", as the bot's own sentences.
  function clockFor(code) {
    return new Intl.DateTimeFormat(code === "en" ? "en-GB" : code, {
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
      timeZone: deskZone,
      ...(elsewhere ? { timeZoneName: "short" } : {}),
    });
  }
  let clock = clockFor(lang);
  const dayOf = new Intl.DateTimeFormat("en-CA", {
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    timeZone: deskZone,
  });

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

  function showTyping() {
    const text = botTyping ? S.typing_bot : agentTyping ? S.typing_agent.replace("{name}", agentTyping) : "";
    typingLine.textContent = text;
    typingLine.hidden = !text;
  }

  function setBotTyping(on) {
    // Shown only if the reply takes a moment: no flicker for the quick answers.
    clearTimeout(botTypingTimer);
    if (on) {
      botTypingTimer = setTimeout(() => {
        botTyping = true;
        showTyping();
      }, 300);
    } else {
      botTyping = false;
      showTyping();
    }
  }

  function setAgentTyping(name) {
    agentTyping = name || null;
    showTyping();
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
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

  // A file's address opens nothing by itself: the page fetches the file with the
  // conversation token and shows it from a local copy (an object URL), once per file.
  const fileCopies = new Map(); // file address -> promise of its object URL

  function localCopy(url) {
    if (!fileCopies.has(url)) {
      const copy = fetch(url, { headers: { Authorization: `Bearer ${token}` } })
        .then((res) => {
          if (!res.ok) throw new Error(`file: ${res.status}`);
          return res.blob();
        })
        .then((blob) => URL.createObjectURL(blob));
      // A failed fetch (offline) is tried again the next time the message is shown.
      copy.catch(() => fileCopies.delete(url));
      fileCopies.set(url, copy);
    }
    return fileCopies.get(url);
  }

  // A file of a message, shown from the local copy once it is here.
  function attachmentLink(f) {
    const file = window.HelplineMarkup.attachment(f);
    file.link.className = f.image ? "attachment" : "attachment file";
    localCopy(f.url)
      .then(file.show)
      .catch(() => {});
    return file.link;
  }

  function buildMessage(m) {
    const li = el("li", `msg msg-${senderClass(m.sender)}`);
    const who = whoLabel(m);
    if (who) {
      const line = el("div", "who", who);
      if (m.agent_avatar) line.prepend(picture(m.agent_avatar, "who-picture"));
      li.appendChild(line);
    }
    const bubble = el("div", "bubble");
    if (m.only_files) {
      // The text only names the files, which are shown below.
    } else if (typeof m.html === "string") {
      bubble.appendChild(window.HelplineMarkup.fragment(m.html)); // formatted by the server
    } else {
      bubble.textContent = m.text; // our own message, until the server has stored it
    }
    for (const f of m.attachments || []) bubble.appendChild(attachmentLink(f));
    li.appendChild(bubble);
    if (m.buttons && m.buttons.length) {
      const row = el("div", "buttons");
      for (const b of m.buttons) {
        const button = el("button", "quick", b.title);
        button.type = "button";
        button.addEventListener("click", () => {
          if (button.disabled) return;
          for (const other of row.querySelectorAll("button")) other.disabled = true;
          button.classList.add("chosen");
          send(b.title, b.payload);
          input.focus(); // the keyboard user goes on typing where they were
        });
        row.appendChild(button);
      }
      li.appendChild(row);
    }
    if (m.kind === "email_ask") li.appendChild(emailForm());
    if (m.created_at) {
      const when = new Date(m.created_at);
      if (!Number.isNaN(when.getTime())) {
        li.dataset.day = dayKey(when);
        const time = el("time", "when", clock.format(when));
        time.dateTime = when.toISOString();
        li.appendChild(time);
      }
    }
    return li;
  }

  // The bot's optional question for an e-mail address: a field, "save" and "no, thanks".
  // The server checks the address; its answer (or "no, thanks") comes back as a message.
  function emailForm() {
    const box = el("form", "email-ask");
    box.noValidate = true; // the server's sentence, in the customer's language, says what is wrong
    const id = `email-${uuid()}`;
    const label = el("label", "", S.email_field);
    label.htmlFor = id;
    const field = el("input");
    field.type = "email";
    field.id = id;
    field.autocomplete = "email";
    field.maxLength = 320;
    const error = el("p", "email-error");
    error.hidden = true;
    error.id = `${id}-error`;
    error.setAttribute("role", "alert");
    field.setAttribute("aria-describedby", error.id);
    const save = el("button", "quick", S.email_save);
    save.type = "submit";
    const skip = el("button", "quick skip", S.email_skip);
    skip.type = "button";
    const row = el("div", "buttons");
    row.append(save, skip);
    box.append(label, field, row, error);
    async function answer(address) {
      for (const b of row.querySelectorAll("button")) b.disabled = true;
      error.hidden = true;
      try {
        const res = await api("POST", "/api/chat/email", { address });
        if (res.ok) {
          for (const m of (await res.json()).messages) renderMessage(m);
          box.hidden = true;
          return;
        }
        const detail = (await res.json().catch(() => ({}))).detail;
        error.textContent = typeof detail === "string" ? detail : S.failed;
      } catch (e) {
        error.textContent = S.failed;
      }
      error.hidden = false;
      for (const b of row.querySelectorAll("button")) b.disabled = false;
      field.focus();
      error.scrollIntoView({ block: "nearest" });
    }
    box.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!save.disabled) answer(field.value);
    });
    skip.addEventListener("click", () => {
      if (!skip.disabled) answer(null);
    });
    return box;
  }

  function renderMessage(m, live) {
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
    li.message = m;
    lastId = Math.max(lastId, m.id);
    if (m.sender === "agent") setAgentTyping(null);
    settle();
    if (live && m.sender !== "customer" && !looking()) {
      unread += 1;
      tellUnread();
    }
    li.scrollIntoView({ block: "end", behavior: "smooth" });
  }

  // What the whole log says now: answered quick replies, day separators, who is with the
  // customer, and whether the conversation has ended.
  function settle() {
    const messages = Array.from(shown.keys())
      .sort((a, b) => a - b)
      .map((id) => shown.get(id));
    let lastCustomer = 0;
    let agent = null; // who is with the customer now: { name, picture, team }
    let waiting = false; // whether a person will answer: no offer of one in the header
    let ended = false;
    let emailAnswered = 0;
    for (const li of messages) {
      const m = li.message;
      if (m.kind === "email_saved" || m.kind === "email_skipped") emailAnswered = m.id;
      if (m.sender === "customer") {
        lastCustomer = m.id;
        ended = false;
      }
      if (JOINED_KINDS.has(m.kind) && m.agent_name) {
        agent = { name: m.agent_name, picture: m.agent_avatar || null, team: m.agent_team || null };
      } else if (m.sender === "agent" && m.agent_name) {
        // Their own message: the team is known from when they joined, if it was this agent.
        const team = agent && agent.name === m.agent_name ? agent.team : null;
        agent = { name: m.agent_name, picture: m.agent_avatar || null, team };
      }
      if (LEFT_KINDS.has(m.kind)) agent = null;
      if (WAITING_KINDS.has(m.kind)) waiting = true;
      if (BACK_WITH_BOT_KINDS.has(m.kind)) waiting = false;
      if (ENDING_KINDS.has(m.kind)) {
        agent = null;
        ended = true;
      }
    }
    for (const li of messages) {
      // A quick reply answers the question it came with; once the customer has said
      // anything after it, pressing it would answer a question no longer asked.
      if (li.message.id < lastCustomer) {
        for (const button of li.querySelectorAll(".buttons button")) button.disabled = true;
      }
    }
    for (const box of list.querySelectorAll(".email-ask")) {
      // Asked once: answered, or the conversation is over, the question is gone.
      if (ended || box.parentElement.message.id < emailAnswered) box.hidden = true;
    }
    for (const old of list.querySelectorAll(".day")) old.remove();
    let day = null;
    for (const li of messages) {
      if (li.dataset.day && li.dataset.day !== day) {
        day = li.dataset.day;
        const separator = el("li", "day", dayLabel(day));
        separator.setAttribute("role", "separator");
        list.insertBefore(separator, li);
      }
    }
    showWho(agent, waiting);
    newButton.hidden = !ended;
  }

  function dayKey(date) {
    return dayOf.format(date); // YYYY-MM-DD on the desk's clock
  }

  function dayLabel(key) {
    const now = Date.now();
    if (key === dayKey(new Date(now))) return S.today;
    if (key === dayKey(new Date(now - 24 * 3600 * 1000))) return S.yesterday;
    const [year, month, date] = key.split("-").map(Number);
    const options = { weekday: "long", day: "numeric", month: "long", timeZone: "UTC" };
    if (key.slice(0, 4) !== dayKey(new Date(now)).slice(0, 4)) options.year = "numeric";
    return new Date(Date.UTC(year, month - 1, date, 12)).toLocaleDateString(lang, options);
  }

  function initials(name) {
    const words = name.trim().split(/\s+/).filter(Boolean);
    const letters = words.length > 1 ? [words[0], words[words.length - 1]] : words;
    return letters.map((w) => Array.from(w)[0].toUpperCase()).join("") || "?";
  }

  // An agent's picture (the address the server gave), decorative: the name is beside it.
  function picture(url, className) {
    const img = el("img", className);
    img.src = url;
    img.alt = "";
    return img;
  }

  // The header names who the customer talks to: the agent with them (their picture if they
  // have one, else their initials) and their team, else Helpline; a customer waiting for a
  // person reads that one will reply, not the desk's offer of one.
  function showWho(agent, waiting) {
    heading.textContent = agent ? agent.name : S.title;
    subtitle.textContent = agent ? agent.team || S.support : waiting ? S.waiting : S.subtitle;
    const shown = avatar.querySelector("img");
    if (agent && agent.picture) {
      if (!shown || shown.getAttribute("src") !== agent.picture) {
        avatar.replaceChildren(picture(agent.picture, "avatar-picture"));
      }
    } else {
      avatar.textContent = initials(agent ? agent.name : S.title);
    }
    avatar.classList.toggle("agent", Boolean(agent));
  }

  // Unread messages ----------------------------------------------------------------------
  //
  // A reply that arrives while the customer looks elsewhere (the widget closed, another
  // tab) is counted: the widget shows the count on its launcher, a tab shows it in its title.

  function looking() {
    return config.embed ? frameOpen && !document.hidden : !document.hidden;
  }

  function tellUnread() {
    if (config.embed) {
      window.parent.postMessage({ helpline: "unread", count: unread }, "*");
    } else {
      document.title = unread ? `(${unread}) ${pageTitle}` : pageTitle;
    }
  }

  function seen() {
    if (unread && looking()) {
      unread = 0;
      tellUnread();
    }
  }
  document.addEventListener("visibilitychange", seen);

  // The bot's greeting opens the log. It is the page's own (the phrase "greeting" the server
  // sends in every language), never a stored message: it is said again in the conversation's
  // language once that is known, as the page's other words are.
  let greetingItem = null;

  function renderGreeting() {
    const words = config.languages[lang];
    const greeting = { sender: "bot", text: words.greeting, html: words.greeting_html, buttons: [] };
    const li = buildMessage(greeting);
    li.message = greeting;
    if (greetingItem && greetingItem.parentNode === list) {
      greetingItem.replaceWith(li);
    } else {
      list.prepend(li);
    }
    greetingItem = li;
  }

  // Language ------------------------------------------------------------------------------
  //
  // The server names the conversation's language (Content-Language) once the bot knows it,
  // from what the customer wrote: a customer who writes Danish on an English site reads the
  // page's own words in Danish too, as the bot's answers are.

  function useLanguage(code) {
    if (!code || code === lang || !Object.prototype.hasOwnProperty.call(config.languages, code)) {
      return;
    }
    lang = code;
    S = config.languages[code].strings;
    clock = clockFor(code);
    document.documentElement.lang = code;
    input.placeholder = S.placeholder;
    document.querySelector('label[for="message-text"]').textContent = S.label;
    document.getElementById("send").textContent = S.send;
    const attach = document.getElementById("attach");
    attach.setAttribute("aria-label", S.attach);
    attach.title = S.attach;
    if (closeButton) closeButton.setAttribute("aria-label", S.close);
    list.setAttribute("aria-label", S.log);
    newButton.textContent = S.new;
    renderGreeting();
    for (const li of list.querySelectorAll(".msg")) {
      const who = li.querySelector(":scope > .who");
      if (who && li.message) who.lastChild.textContent = whoLabel(li.message);
      const time = li.querySelector(":scope > time.when");
      if (time) time.textContent = clock.format(new Date(time.dateTime));
      const ask = li.querySelector(":scope > .email-ask");
      if (ask) {
        ask.querySelector("label").textContent = S.email_field;
        ask.querySelector("button[type=submit]").textContent = S.email_save;
        ask.querySelector("button.skip").textContent = S.email_skip;
      }
    }
    showTyping();
    settle(); // the header and the day separators
  }

  function languageOf(res) {
    useLanguage(res.headers.get("Content-Language"));
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
    const res = await fetch(`/api/chat/session?lang=${encodeURIComponent(lang)}`, {
      method: "POST",
    });
    if (!res.ok) throw new Error(`session: HTTP ${res.status}`);
    token = (await res.json()).token;
    saveToken(token);
  }

  function forgetSession() {
    token = null;
    saveToken(null);
    stopLive();
  }

  async function fetchNew() {
    const res = await api("GET", `/api/chat/messages?after=${lastId}`);
    if (res.status === 401) {
      forgetSession();
      return;
    }
    if (!res.ok) throw new Error(`messages: HTTP ${res.status}`);
    const listed = await res.json();
    languageOf(res);
    for (const m of listed) renderMessage(m, initialLoaded);
    initialLoaded = true;
  }

  // Live updates: Server-Sent Events, with polling while the stream is down ------------------

  function startPolling() {
    if (pollTimer === null) {
      const failed = () => showStatus(navigator.onLine ? S.offline : S.queued);
      pollTimer = setInterval(() => fetchNew().catch(failed), POLL_MS);
    }
  }

  function stopPolling() {
    if (pollTimer !== null) {
      clearInterval(pollTimer);
      pollTimer = null;
    }
  }

  async function openStream() {
    if (!token || !liveStarted || source || !navigator.onLine) return;
    try {
      const res = await api("POST", "/api/chat/events/ticket");
      if (res.status === 401) {
        forgetSession();
        return;
      }
      if (!res.ok) throw new Error(`ticket: HTTP ${res.status}`);
      const { ticket } = await res.json();
      const url = `/api/chat/events?ticket=${encodeURIComponent(ticket)}&after=${lastId}`;
      if (source || !liveStarted) return; // another attempt got there first
      source = new EventSource(url);
      source.addEventListener("message", (event) => renderMessage(JSON.parse(event.data), true));
      source.addEventListener("typing", (event) => setAgentTyping(JSON.parse(event.data).name));
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
  //
  // Messages go out one at a time, in order, from an outbox. A message that cannot be sent
  // (offline, server restarting) stays in the outbox and is retried with the same client_id
  // until it goes through: the server stores it once, however many attempts reach it.

  const outbox = [];
  let draining = false;

  function showPending(text) {
    const li = buildMessage({ sender: "customer", text, buttons: [] });
    li.classList.add("pending");
    li.setAttribute("aria-busy", "true");
    list.appendChild(li);
    li.scrollIntoView({ block: "end" });
    return li;
  }

  function whenOnline() {
    return new Promise((resolve) => {
      if (navigator.onLine) resolve();
      else window.addEventListener("online", resolve, { once: true });
    });
  }

  async function attempt(body) {
    try {
      if (!token) await newSession();
      const res = await api("POST", "/api/chat/messages", body);
      return { res, answer: res.ok ? await res.json() : null };
    } catch (e) {
      return { res: null, answer: null }; // the network failed: try again
    }
  }

  async function deliver(item) {
    let renewed = false;
    for (let tries = 0; ; tries += 1) {
      if (!navigator.onLine) {
        showStatus(S.queued);
        await whenOnline();
      }
      setBotTyping(true);
      const { res, answer } = await attempt(item.body);
      setBotTyping(false);
      if (answer) {
        item.li.remove();
        showStatus("");
        languageOf(res);
        for (const m of answer.messages) renderMessage(m);
        startLive();
        return;
      }
      if (res && res.status === 401 && !renewed) {
        renewed = true; // the conversation is gone (e.g. a new database): start a new one
        forgetSession();
        continue;
      }
      if (res && res.status < 500) {
        // Refused for good (too fast, too long): nothing was stored; give the text back.
        item.li.remove();
        let detail = null;
        try {
          detail = (await res.json()).detail;
        } catch (e) {
          detail = null;
        }
        showStatus(res.status === 429 && typeof detail === "string" ? detail : S.failed);
        if (!input.value.trim()) {
          input.value = item.body.text;
          resize();
        }
        return;
      }
      // The server answered but could not store it (e.g. its database is down): say so,
      // and come back when it asks to (Retry-After), else after a growing pause.
      showStatus(!navigator.onLine ? S.queued : res ? S.unavailable : S.offline);
      const hinted = res ? Number(res.headers.get("Retry-After")) : 0;
      const pause = hinted > 0 ? hinted * 1000 : Math.min(1000 * 2 ** tries, 15000);
      // Offline, the browser's "online" event is the moment to try again.
      await (navigator.onLine ? sleep(pause) : whenOnline());
    }
  }

  async function drain() {
    if (draining) return;
    draining = true;
    try {
      while (outbox.length) {
        await deliver(outbox[0]);
        outbox.shift();
      }
    } finally {
      draining = false;
    }
  }

  function send(text, payload) {
    const clean = (text || "").trim();
    if (!clean && !payload) return false;
    const body = { client_id: uuid(), text: clean, payload: payload || null };
    outbox.push({ body, li: showPending(clean) });
    drain();
    return true;
  }

  // Files: sent at once, one request each; the server tells the type by the content and
  // refuses what it does not keep, with a sentence for the customer.
  const attachButton = document.getElementById("attach");
  const fileInput = document.getElementById("attach-file");

  async function upload(file) {
    const li = showPending(file.name);
    const query = `client_id=${uuid()}&name=${encodeURIComponent(file.name)}`;
    for (let renewed = false; ; renewed = true) {
      let res = null;
      try {
        if (!token) await newSession();
        res = await fetch(`/api/chat/attachments?${query}`, {
          method: "POST",
          headers: {
            Accept: "application/json",
            Authorization: `Bearer ${token}`,
            "Content-Type": "application/octet-stream",
          },
          body: file,
        });
      } catch (e) {
        res = null;
      }
      if (res && res.status === 401 && !renewed) {
        forgetSession();
        continue;
      }
      li.remove();
      if (res && res.ok) {
        showStatus("");
        const answer = await res.json();
        languageOf(res);
        for (const m of answer.messages) renderMessage(m);
        startLive();
      } else {
        // A refusal's reason is written for the customer; a server error's is not.
        let detail = null;
        try {
          detail = res && res.status < 500 ? (await res.json()).detail : null;
        } catch (e) {
          detail = null;
        }
        showStatus(typeof detail === "string" ? detail : S.failed);
      }
      return;
    }
  }

  attachButton.addEventListener("click", () => fileInput.click());
  fileInput.addEventListener("change", () => {
    const chosen = Array.from(fileInput.files || []);
    fileInput.value = "";
    chosen.reduce((done, file) => done.then(() => upload(file)), Promise.resolve());
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = input.value;
    if (!text.trim()) return;
    input.value = "";
    resize();
    send(text, null);
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

  // While the customer types, the agent sees "typing…" (a ping counts for a few seconds,
  // so one every two seconds keeps it shown; nothing is sent before a conversation exists).
  let lastTypingPing = 0;
  input.addEventListener("input", () => {
    if (!token || !input.value.trim() || Date.now() - lastTypingPing < 2000) return;
    lastTypingPing = Date.now();
    api("POST", "/api/chat/typing").catch(() => {}); // a lost ping only means no hint
  });

  // Connection and embedding ------------------------------------------------------------------

  window.addEventListener("offline", () => {
    // Drop the stream now; it resumes after the last message id once we are back.
    if (source) source.close();
    source = null;
    showStatus(S.queued);
  });

  window.addEventListener("online", () => {
    if (!outbox.length) showStatus("");
    if (!token) return;
    fetchNew().catch(() => showStatus(S.offline));
    openStream();
  });

  if (config.embed) {
    // Inside the widget's iframe: the site's page opens us and closes us.
    // Not looking from now on: a reply that arrives before the page has hidden us and said
    // "closed" back is unread too (on a busy phone that round trip can take a while).
    const close = () => {
      frameOpen = false;
      window.parent.postMessage({ helpline: "close" }, "*");
    };
    if (closeButton) closeButton.addEventListener("click", close);
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape") close();
    });
    window.addEventListener("message", (event) => {
      const data = fromParent(event);
      if (data && data.helpline === "open") {
        frameOpen = true;
        seen();
        input.focus();
      } else if (data && data.helpline === "closed") {
        frameOpen = false;
      }
    });
  }

  // A new conversation: the next message starts afresh, with an empty log.
  newButton.addEventListener("click", () => {
    forgetSession();
    shown.clear();
    lastId = 0;
    initialLoaded = false;
    list.replaceChildren();
    renderGreeting();
    settle();
    input.focus();
  });

  // A link from a reply mail: "#resume=..." in the address. The fragment never reaches a
  // server (nor its logs); it is taken out of the address bar at once and exchanged for a
  // conversation token of our own.
  async function resumeFromLink() {
    const match = /^#resume=([A-Za-z0-9_.-]{1,500})$/.exec(window.location.hash);
    if (!match) return null;
    history.replaceState(null, "", window.location.pathname + window.location.search);
    try {
      const res = await fetch("/api/chat/resume", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ link: match[1] }),
      });
      if (!res.ok) throw new Error(`resume: HTTP ${res.status}`);
      const resumed = (await res.json()).token;
      saveToken(resumed);
      return resumed;
    } catch (e) {
      showStatus(S.resume_failed);
      return null;
    }
  }

  // Start -----------------------------------------------------------------------------------

  renderGreeting();
  // Everything listens now: the message box may take what the customer types.
  input.disabled = false;
  document.getElementById("send").disabled = false;
  resumeFromLink().then((resumed) => resumed || loadToken()).then((saved) => {
    token = token || saved; // a message sent meanwhile may have started a conversation
    if (!token) return;
    tellActive(true);
    fetchNew()
      .then(startLive)
      .catch(() => {
        showStatus(S.offline);
        startLive();
      });
  });
})();
