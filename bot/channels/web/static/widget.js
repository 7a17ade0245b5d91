// Helpline chat widget for any web page:
//
//   <script src="https://HELPLINE-HOST/widget.js" data-lang="da" async></script>
//
// It adds a round launcher button that opens the Helpline chat in an iframe. The chat runs
// on Helpline's own origin (its scripts, its storage, its Content-Security-Policy); this
// script only places the button and the frame, styled through the CSSOM (allowed by a
// site's strict style-src), and never reads or writes the chat itself. Helpline must list
// the site's origin in the `web_embed_origins` setting, or the browser refuses the frame.
(function () {
  "use strict";

  const script = document.currentScript;
  if (!script || window.__helplineWidget) return; // loaded twice: one launcher is enough
  window.__helplineWidget = true;

  const origin = new URL(script.src, window.location.href).origin;
  const STRINGS = {
    en: {
      open: "Chat with support",
      close: "Close chat",
      title: "Support chat",
      unread: "New message from support",
      unreadCount: "{n} unread",
    },
    da: {
      open: "Chat med support",
      close: "Luk chatten",
      title: "Supportchat",
      unread: "Ny besked fra support",
      unreadCount: "{n} ulæste",
    },
  };
  const wanted = (script.dataset.lang || document.documentElement.lang || "en").slice(0, 2);
  const lang = Object.prototype.hasOwnProperty.call(STRINGS, wanted.toLowerCase())
    ? wanted.toLowerCase()
    : "en";
  const S = STRINGS[lang];
  const side = script.dataset.position === "left" ? "left" : "right";
  const color = /^#[0-9a-fA-F]{3,8}$/.test(script.dataset.color || "") ? script.dataset.color : "#2456d6";
  const phone = window.matchMedia("(max-width: 480px)");

  const TOKEN_KEY = "helpline.widget.token";
  // Set while this site's visitor has a conversation: the chat then loads with the page,
  // hidden, so a reply that arrives before they open it shows on the launcher.
  const ACTIVE_KEY = "helpline.widget.active";
  let frame = null;
  let loaded = false; // before its first load the frame is about:blank, deaf to messages
  let open = false;
  let unread = 0;
  let flashTimer = null;
  const siteTitle = document.title;

  function css(node, styles) {
    for (const [name, value] of Object.entries(styles)) node.style.setProperty(name, value);
  }

  const SVG = "http://www.w3.org/2000/svg";
  function icon(pathData) {
    const svg = document.createElementNS(SVG, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "28");
    svg.setAttribute("height", "28");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", pathData);
    path.setAttribute("fill", "currentColor");
    svg.appendChild(path);
    return svg;
  }
  const CHAT_ICON = "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z";
  const CLOSE_ICON =
    "M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12l5.6 5.6-1.4 1.4-5.6-5.6L6.4 19 5 17.6l5.6-5.6L5 6.4z";

  const launcher = document.createElement("button");
  launcher.type = "button";
  launcher.id = "helpline-launcher";
  launcher.setAttribute("aria-label", S.open);
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", "helpline-frame");
  launcher.appendChild(icon(CHAT_ICON));

  // The count of replies that arrived while the chat was closed, on the launcher's corner.
  const badge = document.createElement("span");
  badge.id = "helpline-unread";
  badge.setAttribute("aria-hidden", "true");
  css(badge, {
    position: "absolute",
    top: "-4px",
    [side === "left" ? "left" : "right"]: "-4px",
    "min-width": "22px",
    height: "22px",
    padding: "0 6px",
    "box-sizing": "border-box",
    "border-radius": "11px",
    background: "#d62e2e",
    color: "#fff",
    font: "700 12px/22px system-ui, sans-serif",
    "text-align": "center",
    display: "none",
  });
  css(launcher, {
    position: "fixed",
    bottom: "20px",
    [side]: "20px",
    width: "60px",
    height: "60px",
    "border-radius": "50%",
    border: "0",
    padding: "0",
    display: "grid",
    "place-items": "center",
    background: color,
    color: "#fff",
    cursor: "pointer",
    "box-shadow": "0 6px 20px rgba(20, 40, 80, 0.3)",
    "z-index": "2147483000",
  });
  launcher.appendChild(badge);

  function placeFrame() {
    if (!frame) return;
    if (phone.matches) {
      // A phone: the chat takes the whole screen; its own close button gets back.
      css(frame, { inset: "0", width: "100%", height: "100%", "border-radius": "0" });
      frame.style.removeProperty(side === "left" ? "right" : "left");
    } else {
      frame.style.removeProperty("inset");
      css(frame, {
        top: "auto",
        bottom: "92px",
        [side]: "20px",
        width: "380px",
        height: "min(620px, calc(100vh - 120px))",
        "border-radius": "18px",
      });
    }
  }

  function buildFrame() {
    frame = document.createElement("iframe");
    frame.id = "helpline-frame";
    frame.title = S.title;
    frame.src = `${origin}/?embed=1&lang=${encodeURIComponent(lang)}`;
    frame.setAttribute("allow", "clipboard-write");
    css(frame, {
      position: "fixed",
      border: "0",
      background: "#fff",
      "box-shadow": "0 12px 40px rgba(20, 40, 80, 0.3)",
      "z-index": "2147483001",
      display: "none",
    });
    placeFrame();
    phone.addEventListener("change", placeFrame);
    frame.addEventListener("load", () => {
      loaded = true;
      if (open) tellFrame("open");
    });
    document.body.appendChild(frame);
  }

  function tellFrame(what, extra) {
    if (frame && frame.contentWindow) {
      frame.contentWindow.postMessage({ helpline: what, ...extra }, origin);
    }
  }

  // When the browser denies the framed chat its own storage, this page keeps the chat's
  // conversation token (in this site's localStorage), so a reload continues the chat.
  function keepToken(data) {
    try {
      if (data.helpline === "load-token") {
        tellFrame("token", { token: window.localStorage.getItem(TOKEN_KEY) });
      } else if (typeof data.token === "string") {
        window.localStorage.setItem(TOKEN_KEY, data.token);
      } else {
        window.localStorage.removeItem(TOKEN_KEY);
      }
    } catch (e) {
      if (data.helpline === "load-token") tellFrame("token", { token: null });
    }
  }

  function rememberActive(active) {
    try {
      if (active) window.localStorage.setItem(ACTIVE_KEY, "1");
      else window.localStorage.removeItem(ACTIVE_KEY);
    } catch (e) {
      // No storage for this site: the chat loads when first opened, as for a new visitor.
    }
  }

  function wasActive() {
    try {
      return window.localStorage.getItem(ACTIVE_KEY) === "1";
    } catch (e) {
      return false;
    }
  }

  // While replies wait unread, the launcher shows their count and the tab's title
  // alternates with a notice, so a customer in another tab notices too.
  function showUnread(count) {
    unread = open ? 0 : count;
    badge.textContent = unread > 9 ? "9+" : String(unread);
    badge.style.display = unread ? "block" : "none";
    const label = open ? S.close : S.open;
    launcher.setAttribute(
      "aria-label",
      unread ? `${label} (${S.unreadCount.replace("{n}", String(unread))})` : label,
    );
    if (unread && flashTimer === null) {
      let flip = false;
      flashTimer = setInterval(() => {
        flip = !flip;
        document.title = flip ? `(${unread}) ${S.unread}` : siteTitle;
      }, 1500);
    } else if (!unread && flashTimer !== null) {
      clearInterval(flashTimer);
      flashTimer = null;
      document.title = siteTitle;
    }
  }

  function setOpen(value) {
    if (value && !frame) buildFrame(); // the chat loads on first use, not with the page
    open = value;
    frame.style.display = open ? "block" : "none";
    launcher.setAttribute("aria-expanded", String(open));
    launcher.replaceChildren(icon(open ? CLOSE_ICON : CHAT_ICON), badge);
    showUnread(unread);
    if (open) {
      frame.focus();
      if (loaded) tellFrame("open"); // the chat puts the cursor in its message box
    } else {
      if (loaded) tellFrame("closed"); // replies from now on count as unread
      launcher.focus(); // keyboard users land where they opened the chat
    }
  }

  launcher.addEventListener("click", () => setOpen(!open));
  window.addEventListener("message", (event) => {
    // Only the chat frame may close itself; other frames on the page are not listened to.
    if (frame && event.source === frame.contentWindow && event.origin === origin) {
      const data = event.data || {};
      if (data.helpline === "close") setOpen(false);
      else if (data.helpline === "unread" && Number.isInteger(data.count)) showUnread(data.count);
      else if (data.helpline === "load-token" || data.helpline === "save-token") keepToken(data);
      else if (data.helpline === "active") rememberActive(data.active === true);
    }
  });

  function mount() {
    document.body.appendChild(launcher);
    if (wasActive()) buildFrame(); // hidden until opened; its stream counts what arrives
  }
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
})();
