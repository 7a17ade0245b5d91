// Helpline agent console: keeps the queue and the transcript live by polling the JSON API.
// Everything from the server goes into the page with textContent; innerHTML is never used.
(function () {
  "use strict";

  const POLL_MS = 2000;
  const main = document.querySelector("main[data-live]");
  if (!main) return;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  // The same formats as the server-rendered page (bot/web/app.py: format_clock, format_ago).
  function clock(iso) {
    const when = new Date(iso);
    if (Number.isNaN(when.getTime())) return "";
    return `${when.toISOString().slice(0, 16).replace("T", " ")} UTC`;
  }

  function ago(iso) {
    const minutes = Math.max(0, Math.floor((Date.now() - new Date(iso).getTime()) / 60000));
    if (minutes < 1) return "just now";
    if (minutes < 60) return `${minutes} min ago`;
    return `${Math.floor(minutes / 60)} h ${minutes % 60} min ago`;
  }

  function timeCell(iso, withAgo) {
    const td = el("td");
    const time = el("time", "", clock(iso));
    time.dateTime = iso;
    td.appendChild(time);
    if (withAgo) td.appendChild(el("span", "muted", ` (${ago(iso)})`));
    return td;
  }

  function linkCell(id, text) {
    const td = el("td");
    const a = el("a", "", text);
    a.href = `/console/conversations/${encodeURIComponent(id)}`;
    td.appendChild(a);
    return td;
  }

  async function getJson(url) {
    const res = await fetch(url, { headers: { Accept: "application/json" } });
    if (res.status === 401) {
      window.location.assign("/console/login");
      throw new Error("logged out");
    }
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return res.json();
  }

  function every(ms, task) {
    let busy = false;
    setInterval(async () => {
      if (busy || document.hidden) return;
      busy = true;
      try {
        await task();
      } catch (e) {
        // The next tick tries again; a console that is briefly offline recovers by itself.
      } finally {
        busy = false;
      }
    }, ms);
  }

  // Queue page ---------------------------------------------------------------------------

  function renderQueue(data) {
    const rows = document.getElementById("queue-rows");
    rows.replaceChildren(
      ...data.queue.map((item) => {
        const tr = el("tr");
        tr.append(
          el("td", "", String(item.position)),
          el("td", "", item.team),
          linkCell(item.conversation_id, item.customer),
          timeCell(item.waiting_since, true),
          el("td", "snippet", item.last_customer_text || ""),
        );
        return tr;
      }),
    );
    document.getElementById("queue-count").textContent = String(data.queue.length);
    document.getElementById("queue-empty").hidden = data.queue.length > 0;

    const mine = document.getElementById("mine-rows");
    mine.replaceChildren(
      ...data.mine.map((item) => {
        const tr = el("tr");
        tr.append(
          linkCell(item.conversation_id, item.customer),
          el("td", "", item.team),
          timeCell(item.updated_at, false),
        );
        return tr;
      }),
    );
    document.getElementById("mine-empty").hidden = data.mine.length > 0;
  }

  // Conversation page ----------------------------------------------------------------------

  function renderMessage(m) {
    const kind = m.internal ? "note" : /^[a-z]+$/.test(m.sender) ? m.sender : "system";
    const li = el("li", `msg msg-${kind}`);
    li.dataset.seq = String(m.seq);
    const meta = el("div", "meta");
    meta.appendChild(el("span", "sender", m.internal ? "internal note" : m.sender));
    if (m.agent_name) {
      meta.appendChild(document.createTextNode(" · "));
      meta.appendChild(el("span", "agent", m.agent_name));
    }
    meta.appendChild(document.createTextNode(" · "));
    const time = el("time", "", clock(m.created_at));
    time.dateTime = m.created_at;
    meta.appendChild(time);
    const text = el("div", "text");
    text.appendChild(window.HelplineMarkup.fragment(m.html)); // formatted by the server
    li.append(meta, text);
    return li;
  }

  // While the agent types a reply, the customer sees "<agent> is typing…" (one ping every
  // couple of seconds is enough: a ping counts for five).
  function pingWhileTyping(id) {
    const reply = document.getElementById("reply-text");
    const csrf = document.querySelector("form.reply input[name=csrf]");
    if (!reply || !csrf) return;
    let lastPing = 0;
    reply.addEventListener("input", () => {
      if (!reply.value.trim() || Date.now() - lastPing < 2000) return;
      lastPing = Date.now();
      fetch(`/console/api/conversations/${encodeURIComponent(id)}/typing`, {
        method: "POST",
        headers: { "X-CSRF-Token": csrf.value },
      }).catch(() => {}); // a lost ping only means no typing hint
    });
  }

  // Keyboard shortcuts of the conversation page (listed under the reply form):
  // Ctrl+Enter / Cmd+Enter sends the reply (or the note being written), Alt+R goes to the
  // reply box, Alt+D resolves after a confirmation. event.code, not event.key: on a Mac,
  // Alt changes the character typed.
  function shortcuts() {
    document.addEventListener("keydown", (event) => {
      const target = event.target;
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        const form = target && target.closest ? target.closest("form.reply, form.note-form") : null;
        if (!form) return;
        event.preventDefault();
        form.requestSubmit();
      } else if (event.altKey && !event.ctrlKey && !event.metaKey && event.code === "KeyR") {
        const reply = document.getElementById("reply-text");
        if (!reply) return;
        event.preventDefault();
        reply.focus();
      } else if (event.altKey && !event.ctrlKey && !event.metaKey && event.code === "KeyD") {
        const resolve = document.getElementById("resolve-form");
        if (!resolve) return;
        event.preventDefault();
        if (window.confirm("Resolve this conversation?")) resolve.requestSubmit();
      }
    });
  }

  function liveConversation() {
    const id = main.dataset.conversationId;
    const transcript = document.getElementById("transcript");
    const changed = document.getElementById("changed");
    let lastSeq = Number(main.dataset.lastSeq) || 0;
    const renderedState = main.dataset.state;
    pingWhileTyping(id);
    shortcuts();

    every(POLL_MS, async () => {
      const data = await getJson(
        `/console/api/conversations/${encodeURIComponent(id)}/messages?after=${lastSeq}`,
      );
      for (const m of data.messages) {
        if (m.seq <= lastSeq) continue;
        transcript.appendChild(renderMessage(m));
        lastSeq = m.seq;
      }
      const state = document.getElementById("state");
      state.textContent = data.owner ? `${data.state} · ${data.owner}` : data.state;
      // Claim/reply forms depend on the state: offer a reload instead of guessing.
      changed.hidden = data.state === renderedState;
    });
  }

  if (main.dataset.live === "queue") {
    // Keep the page's team filter (?team=...) when refreshing.
    const filter = window.location.search;
    every(POLL_MS, async () => renderQueue(await getJson("/console/api/queue" + filter)));
  } else if (main.dataset.live === "conversation") {
    liveConversation();
  }
})();
