// Formatted message text, and a message's files, for the chat and the console.
//
// The server renders each message's Markdown once (handoff/markup.py) into a small HTML
// subset. The page never assigns it to innerHTML: the HTML is parsed into an inert
// document and only the allowed elements are rebuilt, with no attribute but a checked
// href, so even a broken server could not put a script, a handler or a style here.
(function () {
  "use strict";

  const ALLOWED = new Set(["P", "STRONG", "EM", "CODE", "PRE", "UL", "OL", "LI", "BR", "A"]);
  const SAFE_LINK = new Set(["http:", "https:", "mailto:"]);

  function link(source) {
    let url = null;
    try {
      url = new URL(source.getAttribute("href") || "");
    } catch (e) {
      url = null;
    }
    if (!url || !SAFE_LINK.has(url.protocol)) return null;
    const a = document.createElement("a");
    a.href = url.href;
    a.target = "_blank";
    a.rel = "noopener noreferrer nofollow";
    return a;
  }

  function copy(source, target) {
    for (const node of source.childNodes) {
      if (node.nodeType === Node.TEXT_NODE) {
        target.appendChild(document.createTextNode(node.nodeValue));
      } else if (node.nodeType === Node.ELEMENT_NODE) {
        let made = null;
        if (node.tagName === "A") made = link(node);
        else if (ALLOWED.has(node.tagName)) made = document.createElement(node.tagName);
        if (node.tagName === "OL" && made) {
          const start = Number(node.getAttribute("start"));
          if (Number.isInteger(start) && start > 0) made.start = start;
        }
        // An element that is not allowed keeps its text, never its markup.
        copy(node, made || target);
        if (made) target.appendChild(made);
      }
    }
  }

  // The message's HTML as DOM nodes of the allowed subset (a DocumentFragment).
  function fragment(html) {
    const parsed = new DOMParser().parseFromString(`<body>${html || ""}</body>`, "text/html");
    const out = document.createDocumentFragment();
    copy(parsed.body, out);
    return out;
  }

  // A file of a message: a picture as a preview that opens it, anything else as a download.
  // Its address comes separately (show): the chat first fetches a copy with its token.
  function attachment(f) {
    const link = document.createElement("a");
    let img = null;
    if (f.image) {
      link.target = "_blank";
      link.rel = "noopener";
      img = document.createElement("img");
      img.className = "preview";
      img.alt = f.name;
      link.appendChild(img);
    } else {
      link.textContent = f.name;
      link.download = f.name;
    }
    function show(url) {
      link.href = url;
      if (img) img.src = url;
    }
    return { link, show };
  }

  window.HelplineMarkup = { fragment, attachment };
})();
