// Helpline agent console: one event stream keeps the inbox list, the transcript and the
// customer's typing live; a new handoff for the agent rings a chime, shows a desktop
// notification (once allowed) and counts in the tab title.
// Everything from the server goes into the page with textContent; innerHTML is never used.
(function () {
  "use strict";

  const main = document.querySelector("main[data-live]");
  if (!main) return;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  // The same formats as the server-rendered page (bot/channels/web/app.py: format_clock, format_ago):
  // the deployment's clock with the zone's name, "2026-12-07 00:30 CET", whatever the browser's.
  const CLOCK = new Intl.DateTimeFormat("en-GB", {
    timeZone: document.body.dataset.timeZone || "UTC",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
    timeZoneName: "short",
  });

  function clock(iso) {
    const when = new Date(iso);
    if (Number.isNaN(when.getTime())) return "";
    const part = {};
    for (const { type, value } of CLOCK.formatToParts(when)) part[type] = value;
    return `${part.year}-${part.month}-${part.day} ${part.hour}:${part.minute} ${part.timeZoneName}`;
  }

  function ago(iso) {
    const minutes = Math.max(0, Math.floor((Date.now() - new Date(iso).getTime()) / 60000));
    if (minutes < 1) return "just now";
    if (minutes < 60) return `${minutes} min ago`;
    return `${Math.floor(minutes / 60)} h ${minutes % 60} min ago`;
  }

  // Conversation page ----------------------------------------------------------------------

  function attachmentBlock(f) {
    const block = el("div", "attachment");
    const file = window.HelplineMarkup.attachment(f);
    file.show(f.url); // the console's session cookie goes with the address itself
    block.appendChild(file.link);
    return block;
  }

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
    li.append(meta);
    if (!m.only_files) {
      const text = el("div", "text");
      text.appendChild(window.HelplineMarkup.fragment(m.html)); // formatted by the server
      li.append(text);
    }
    for (const f of m.attachments || []) li.append(attachmentBlock(f));
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

  // Unread markers -----------------------------------------------------------------------
  // The last customer message the agent has had on screen, per conversation, in this browser.

  const SEEN_PREFIX = "helpline.console.seen.";

  function seenSeq(id) {
    try {
      return Number(window.localStorage.getItem(SEEN_PREFIX + id)) || 0;
    } catch (e) {
      return 0;
    }
  }

  function markSeen(id, seq) {
    if (seq <= seenSeq(id)) return;
    try {
      window.localStorage.setItem(SEEN_PREFIX + id, String(seq));
    } catch (e) {
      // Private windows may refuse storage: then everything simply stays marked read.
    }
  }

  // Attention: chime, desktop notification, tab title ----------------------------------

  const baseTitle = document.title;
  let audio = null;

  function chime() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      const tone = audio.createOscillator();
      const gain = audio.createGain();
      tone.frequency.value = 880;
      gain.gain.setValueAtTime(0.15, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.35);
      tone.connect(gain).connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + 0.35);
    } catch (e) {
      // No audio device (or not allowed yet): the title and the notification still tell.
    }
  }

  function notify(item) {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    try {
      const note = new Notification(`New conversation: ${item.customer}`, {
        body: item.last_customer_text || item.team,
        tag: `helpline-${item.conversation_id}`,
      });
      note.onclick = () => {
        window.focus();
        window.location.assign(`/console/conversations/${encodeURIComponent(item.conversation_id)}`);
      };
    } catch (e) {
      // Some browsers only allow notifications from a service worker; the title still counts.
    }
  }

  function offerDesktopAlerts() {
    const button = document.getElementById("enable-alerts");
    if (!button || !("Notification" in window) || Notification.permission !== "default") return;
    button.hidden = false;
    button.addEventListener("click", async () => {
      await Notification.requestPermission();
      button.hidden = Notification.permission === "default";
    });
  }

  // The inbox list ------------------------------------------------------------------------

  const list = document.getElementById("inbox-list");
  const current = main.dataset.conversationId || null;
  let known = null; // the conversations "for me" already announced (null: not loaded yet)

  function isUnread(item) {
    return item.conversation_id !== current && item.last_customer_seq > seenSeq(item.conversation_id);
  }

  function renderItem(item) {
    const li = el("li", "inbox-item");
    li.dataset.id = item.conversation_id;
    if (isUnread(item)) li.classList.add("unread");
    if (item.conversation_id === current) li.setAttribute("aria-current", "page");
    const a = el("a");
    a.href = `/console/conversations/${encodeURIComponent(item.conversation_id)}`;
    const who = el("span", "who", item.customer);
    if (li.classList.contains("unread")) who.appendChild(el("span", "visually-hidden", " (unread)"));
    const time = el("time", "", ago(item.waiting_since));
    time.dateTime = item.waiting_since;
    a.append(
      who,
      el("span", "state", `${item.owner || "waiting"} · ${item.team}`),
      el("span", "snippet", item.last_customer_text || ""),
      time,
    );
    li.appendChild(a);
    return li;
  }

  function renderInbox(data) {
    const focusedId = document.activeElement && document.activeElement.closest
      ? (document.activeElement.closest(".inbox-item") || {}).dataset
      : null;
    list.replaceChildren(...data.items.map(renderItem));
    document.getElementById("inbox-empty").hidden = data.items.length > 0;
    if (focusedId && focusedId.id) {
      const again = list.querySelector(`.inbox-item[data-id="${CSS.escape(focusedId.id)}"] a`);
      if (again) again.focus();
    }
    const forMe = data.items.filter((item) => item.for_me);
    const fresh = known === null ? [] : forMe.filter((item) => !known.has(item.conversation_id));
    known = new Set(forMe.map((item) => item.conversation_id));
    for (const item of fresh) notify(item);
    if (fresh.length) chime();
    const waiting = forMe.filter(isUnread).length;
    document.title = waiting ? `(${waiting}) ${baseTitle}` : baseTitle;
  }

  // j / k move through the list, Enter opens (the focused link does that by itself).
  function listKeys() {
    document.addEventListener("keydown", (event) => {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      const target = event.target;
      if (target && target.closest && target.closest("input, textarea, select, [contenteditable]")) return;
      if (event.key !== "j" && event.key !== "k") return;
      const links = [...list.querySelectorAll(".inbox-item a")];
      if (!links.length) return;
      event.preventDefault();
      let at = links.indexOf(document.activeElement);
      if (at === -1) at = links.findIndex((a) => a.closest("[aria-current=page]"));
      const next = at === -1 ? 0 : Math.min(links.length - 1, Math.max(0, at + (event.key === "j" ? 1 : -1)));
      links[next].focus();
    });
  }

  // Saved replies: "/shortcut" in the reply box offers the matching ones; Enter or Tab
  // inserts the highlighted one (the page carries them, placeholders already filled).
  function savedReplies() {
    const reply = document.getElementById("reply-text");
    const source = document.getElementById("saved-replies");
    const menu = document.getElementById("saved-reply-menu");
    if (!reply || !source || !menu) return;
    const replies = [...source.querySelectorAll("li")].map((li) => ({
      shortcut: li.dataset.shortcut,
      text: li.textContent,
    }));
    let matches = [];
    let chosen = 0;
    let start = -1;

    function render() {
      menu.replaceChildren(
        ...matches.map((r, i) => {
          const option = el("li", "saved-reply-option");
          option.id = `saved-reply-${i}`;
          option.setAttribute("role", "option");
          option.setAttribute("aria-selected", String(i === chosen));
          option.append(el("code", "", `/${r.shortcut}`), el("span", "", ` ${r.text}`));
          option.addEventListener("mousedown", (event) => {
            event.preventDefault(); // keep the focus in the reply box
            insert(r);
          });
          return option;
        }),
      );
      menu.hidden = matches.length === 0;
      if (matches.length) reply.setAttribute("aria-activedescendant", `saved-reply-${chosen}`);
      else reply.removeAttribute("aria-activedescendant");
    }

    function offer() {
      const before = reply.value.slice(0, reply.selectionStart);
      const typed = before.match(/(^|\s)\/([a-z0-9_-]*)$/i);
      matches = typed ? replies.filter((r) => r.shortcut.startsWith(typed[2].toLowerCase())) : [];
      start = typed ? before.length - typed[2].length - 1 : -1;
      chosen = 0;
      render();
    }

    function insert(r) {
      const end = reply.selectionStart;
      reply.value = reply.value.slice(0, start) + r.text + reply.value.slice(end);
      const caret = start + r.text.length;
      reply.setSelectionRange(caret, caret);
      matches = [];
      render();
      reply.focus();
    }

    reply.setAttribute("aria-controls", "saved-reply-menu");
    reply.addEventListener("input", offer);
    reply.addEventListener("keydown", (event) => {
      if (!matches.length || event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        chosen = (chosen + (event.key === "ArrowDown" ? 1 : matches.length - 1)) % matches.length;
        render();
      } else if (event.key === "Enter" || event.key === "Tab") {
        event.preventDefault();
        insert(matches[chosen]);
      } else if (event.key === "Escape") {
        matches = [];
        render();
      }
    });
  }

  // Conversation page ------------------------------------------------------------------------

  function conversationPage() {
    const transcript = document.getElementById("transcript");
    const changed = document.getElementById("changed");
    const typingLine = document.getElementById("customer-typing");
    const renderedState = main.dataset.state;
    let lastSeq = Number(main.dataset.lastSeq) || 0;
    markSeen(current, lastSeq);
    pingWhileTyping(current);
    savedReplies();

    const resolve = document.getElementById("resolve-form");
    if (resolve) {
      resolve.addEventListener("submit", (event) => {
        if (!window.confirm("Resolve this conversation? The customer is told it is closed.")) {
          event.preventDefault();
        }
      });
    }
    // Ctrl+Enter / Cmd+Enter sends the reply (or the note being written), Alt+R goes to the
    // reply box, Alt+D resolves (after the same confirmation). event.code, not event.key:
    // on a Mac, Alt changes the character typed.
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
        if (!resolve) return;
        event.preventDefault();
        resolve.requestSubmit();
      }
    });

    return {
      after: () => lastSeq,
      update(data) {
        for (const m of data.messages) {
          if (m.seq <= lastSeq) continue;
          transcript.appendChild(renderMessage(m));
          lastSeq = m.seq;
        }
        markSeen(current, lastSeq);
        const state = document.getElementById("state");
        state.textContent = data.owner ? `${data.state} · ${data.owner}` : data.state;
        // Claim/reply forms depend on the state: offer a reload instead of guessing.
        changed.hidden = data.state === renderedState;
      },
      typing(data) {
        typingLine.hidden = !data.typing;
      },
    };
  }

  // The event stream ------------------------------------------------------------------------

  const page = main.dataset.live === "conversation" ? conversationPage() : null;

  function connect() {
    const params = new URLSearchParams({ filter: list.dataset.filter || "teams" });
    const search = document.getElementById("inbox-search");
    if (search && search.value) params.set("q", search.value);
    if (page) {
      params.set("conversation", current);
      params.set("after", String(page.after()));
    }
    const source = new EventSource(`/console/api/events?${params}`);
    source.addEventListener("inbox", (event) => renderInbox(JSON.parse(event.data)));
    if (page) {
      source.addEventListener("conversation", (event) => page.update(JSON.parse(event.data)));
      source.addEventListener("typing", (event) => page.typing(JSON.parse(event.data)));
    }
    source.addEventListener("error", () => {
      if (source.readyState !== EventSource.CLOSED) return; // the browser reconnects by itself
      // Closed for good (e.g. logged out: 401): check the session, then try again later.
      fetch("/console/api/inbox", { headers: { Accept: "application/json" } }).then((res) => {
        if (res.status === 401) window.location.assign("/console/login");
        else setTimeout(connect, 5000);
      }, () => setTimeout(connect, 5000));
    });
  }

  // Server-rendered items count as seen-before: only what arrives later rings.
  known = new Set(
    [...list.querySelectorAll(".inbox-item[data-for-me=true]")].map((li) => li.dataset.id),
  );
  for (const li of list.querySelectorAll(".inbox-item")) {
    if (li.dataset.id !== current && Number(li.dataset.seq) > seenSeq(li.dataset.id)) {
      li.classList.add("unread");
    }
    if (li.dataset.id === current) li.setAttribute("aria-current", "page");
  }
  offerDesktopAlerts();
  listKeys();
  connect();
})();
