/* Mostrador on the shop floor: what is typed is kept as a draft, what is saved without a connection waits in an
   outbox on the tablet and is sent when the connection returns, and the service worker is registered.

   Everything here only adds to plain HTML: without this file (or without JavaScript) every form posts as usual.
   Drafts and the outbox live in localStorage under the signed-in person's id, since tablets are shared; drafts
   are wiped on sign-out. Password and file fields are never stored. */
(function () {
  "use strict";

  var root = document.getElementById("shopfloor");
  if (!root) return;
  var words = JSON.parse(root.getAttribute("data-words"));
  var store = window.localStorage;
  var user = root.getAttribute("data-user");
  if (user) store.setItem("mostrador:user", user);
  else user = store.getItem("mostrador:user");  // the offline page: whoever used this tablet last
  if (!user) return;
  var DRAFTS = "mostrador:draft:" + user + ":";
  var OUTBOX = "mostrador:outbox:" + user;
  var signedIn = !!root.getAttribute("data-user");

  function say(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, name) { return values[name]; });
  }
  function read(key, fallback) {
    try { return JSON.parse(store.getItem(key)) || fallback; } catch (e) { return fallback; }
  }
  function write(key, value) {
    try { store.setItem(key, JSON.stringify(value)); } catch (e) { /* storage full or disabled: plain forms */ }
  }
  function newKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);  // works on the shop network's plain http too, unlike randomUUID()
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }
  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (e) { return ""; }
  }

  /* ---- Drafts: per person, per form, per record (the form's action names both) ---------------------------- */
  var KEPT = "textarea, select, input:not([type=hidden]):not([type=password]):not([type=file])"
    + ":not([type=submit]):not([type=button]):not([autocomplete=off])";

  function draftKey(form) {
    return DRAFTS + new URL(form.action, location.href).pathname + (form.id ? "#" + form.id : "");
  }
  function fieldsOf(form) {
    var values = {};
    form.querySelectorAll(KEPT).forEach(function (el) {
      if (!el.name || el.closest("[data-no-draft]")) return;
      if (el.type === "checkbox" || el.type === "radio") {
        if (!(el.name in values)) values[el.name] = [];
        if (el.checked) values[el.name].push(el.value);
      } else if (el.multiple) {
        values[el.name] = Array.prototype.filter.call(el.options, function (o) { return o.selected; })
          .map(function (o) { return o.value; });
      } else {
        values[el.name] = el.value;
      }
    });
    return values;
  }
  function fill(form, values) {
    form.querySelectorAll(KEPT).forEach(function (el) {
      if (!(el.name in values)) return;
      var value = values[el.name];
      if (el.type === "checkbox" || el.type === "radio") el.checked = value.indexOf(el.value) >= 0;
      else if (el.multiple) Array.prototype.forEach.call(el.options, function (o) { o.selected = value.indexOf(o.value) >= 0; });
      else el.value = value;
      el.dispatchEvent(new Event("input", {bubbles: true}));
    });
  }
  function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }
  function draftable(form) {
    return signedIn && (form.method || "get").toLowerCase() === "post" && !form.hasAttribute("data-no-draft")
      && form.querySelector("textarea, input[type=text], input[type=email], input[type=tel], input:not([type])");
  }

  function watch(form) {
    if (form.shopfloor || !draftable(form)) return;
    form.shopfloor = {initial: fieldsOf(form)};
    var key = draftKey(form);
    var draft = read(key, null);
    if (draft && !draft.pending && !same(draft.fields, form.shopfloor.initial)) offerBack(form, key, draft);
    var timer = null;
    form.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var now = fieldsOf(form);
        if (same(now, form.shopfloor.initial)) store.removeItem(key);
        else write(key, {at: Date.now(), fields: now});
      }, 300);
    });
  }

  function offerBack(form, key, draft) {
    var bar = document.createElement("div");
    bar.className = "draft-offer";
    bar.setAttribute("role", "status");
    var when = new Date(draft.at).toLocaleTimeString(document.documentElement.lang, {hour: "2-digit", minute: "2-digit"});
    var text = document.createElement("p");
    text.textContent = say(words.draft, {when: when});
    var restore = document.createElement("button");
    restore.type = "button";
    restore.textContent = words.restore;
    var discard = document.createElement("button");
    discard.type = "button";
    discard.className = "secondary";
    discard.textContent = words.discard;
    restore.addEventListener("click", function () { fill(form, draft.fields); bar.remove(); });
    discard.addEventListener("click", function () { store.removeItem(key); bar.remove(); });
    bar.append(text, restore, discard);
    form.before(bar);
  }

  // Saved: a draft is dropped once the server took the form (htmx answers 2xx, or a full page shows success).
  function submitted(form) {
    if (!form.shopfloor) return;
    var key = draftKey(form);
    var draft = read(key, null);
    if (draft) { draft.pending = true; write(key, draft); }
  }
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt && event.detail.elt.closest && event.detail.elt.closest("form");
    var xhr = event.detail.xhr;
    if (!form || !form.shopfloor || !xhr) return;
    var toLogin = /\/login/.test(xhr.getResponseHeader("HX-Redirect") || "") || /\/login/.test(xhr.responseURL || "");
    var key = draftKey(form);
    if (xhr.status >= 200 && xhr.status < 300 && !toLogin) store.removeItem(key);
    else { var draft = read(key, null); if (draft) { delete draft.pending; write(key, draft); } }
  });
  function settlePendingDrafts() {
    var saved = document.querySelector(".flash-success");
    for (var i = store.length - 1; i >= 0; i--) {
      var key = store.key(i);
      if (!key || key.indexOf(DRAFTS) !== 0) continue;
      var draft = read(key, null);
      if (!draft || !draft.pending) continue;
      if (saved) store.removeItem(key);
      else { delete draft.pending; write(key, draft); }
    }
  }

  function forgetDrafts() {
    for (var i = store.length - 1; i >= 0; i--) {
      var key = store.key(i);
      if (key && key.indexOf("mostrador:draft:") === 0) store.removeItem(key);
    }
    store.removeItem("mostrador:user");
  }

  /* ---- The outbox: contacts, inquiries, ticket notes and photos saved without a connection ---------------- */
  var panel = null;
  var lastNews = null;

  function outbox() { return read(OUTBOX, []); }

  // A queued form's files (a ticket photo) wait in IndexedDB under the entry's key: localStorage holds text only,
  // and a few megabytes of it at most.
  function files(mode, work) {
    return new Promise(function (resolve, reject) {
      if (!window.indexedDB) { reject(new Error("no IndexedDB")); return; }
      var opening = indexedDB.open("mostrador-outbox", 1);
      opening.onupgradeneeded = function () { opening.result.createObjectStore("files"); };
      opening.onerror = function () { reject(opening.error); };
      opening.onsuccess = function () {
        var db = opening.result, tx = db.transaction("files", mode), request = work(tx.objectStore("files"));
        tx.oncomplete = function () { db.close(); resolve(request && request.result); };
        tx.onerror = tx.onabort = function () { db.close(); reject(tx.error); };
      };
    });
  }

  function queue(form) {
    var fields = [], attached = [];
    new FormData(form).forEach(function (value, name) {
      if (typeof value === "string") fields.push([name, value]);
      else if (value.size) attached.push([name, value, value.name]);
    });
    var key = form.querySelector("input[name=idempotency_key]");
    var item = {key: key ? key.value : newKey(), url: form.action, what: form.getAttribute("data-offline"),
                fields: fields, at: Date.now(), state: "waiting", files: attached.length > 0};
    if (item.files) {
      // Listed once the files are kept, so a flush never finds the entry without them.
      files("readwrite", function (kept) { return kept.put(attached, item.key); })
        .then(function () { add(item); }, function () { lastNews = say(words.refused, {what: item.what}); show(); });
    } else add(item);
    forgetForm(form, key, item);
  }
  function add(item) {
    var items = outbox().filter(function (other) { return other.key !== item.key; });
    items.push(item);
    write(OUTBOX, items);
    show();
  }
  function forgetForm(form, key, item) {
    store.removeItem(draftKey(form));
    form.reset();
    if (form.shopfloor) form.shopfloor.initial = fieldsOf(form);
    if (key) key.value = newKey();  // the next entry typed in this form is another record
    lastNews = say(words.queued, {what: item.what});
    show();
    panel.scrollIntoView({block: "nearest"});
  }

  function bodyOf(item) {
    var fields = function (body) {
      item.fields.forEach(function (pair) { body.append(pair[0], pair[0] === "csrf_token" ? csrfToken() : pair[1]); });
      return body;
    };
    if (!item.files) return Promise.resolve(fields(new URLSearchParams()));
    return files("readonly", function (kept) { return kept.get(item.key); }).then(function (attached) {
      var body = fields(new FormData());
      (attached || []).forEach(function (file) { body.append(file[0], file[1], file[2]); });
      return body;
    });
  }

  var sending = false;
  function flush() {
    if (sending || !signedIn || !navigator.onLine) return;
    var item = outbox().filter(function (i) { return i.state === "waiting"; })[0];
    if (!item) return;
    sending = true;
    bodyOf(item).then(function (body) {
      return fetch(item.url, {method: "POST", body: body, credentials: "same-origin",
                              headers: {"X-CSRFToken": csrfToken(), "X-Mostrador-Outbox": "1"}});
    })
      .then(function (response) {
        if (/\/login/.test(new URL(response.url).pathname) || response.status === 401) {
          settle(item, "signin");
          lastNews = words.sign_in;
        } else if (response.ok) {
          settle(item, null);
          lastNews = say(words.sent, {what: item.what});
        } else {
          settle(item, "refused");
          lastNews = say(words.refused, {what: item.what});
        }
      }, function () { /* still no connection: it waits */ })
      .then(function () { sending = false; show(); if (outbox().some(waiting)) setTimeout(flush, 200); });
  }
  function waiting(item) { return item.state === "waiting"; }
  function settle(item, state) {
    var items = outbox().filter(function (other) { return other.key !== item.key; });
    if (state) { item.state = state; items.push(item); }
    else if (item.files) forgetFiles(item.key);
    write(OUTBOX, items);
  }
  function discard(key) {
    write(OUTBOX, outbox().filter(function (item) { return item.key !== key; }));
    forgetFiles(key);
    show();
  }
  function forgetFiles(key) { files("readwrite", function (kept) { kept.delete(key); }).catch(function () {}); }

  function show() {
    var items = outbox();
    var count = items.filter(waiting).length;
    var counter = document.querySelector("[data-outbox-count]");
    if (counter) {
      counter.hidden = !count;
      counter.textContent = say(count === 1 ? words.waiting_one : words.waiting_other, {n: count});
    }
    if (!signedIn) return;  // the offline page: the count above says it all
    if (!panel) {
      panel = document.createElement("div");
      panel.className = "outbox";
      panel.id = "outbox";
      panel.setAttribute("role", "status");
      panel.setAttribute("aria-live", "polite");
      // In the page's flow under the top bar, not floating: on a phone it would cover the Save button.
      var flashes = document.querySelector(".flashes");
      if (flashes) flashes.after(panel);
      else document.body.prepend(panel);
    }
    panel.replaceChildren();
    if (lastNews) {
      var news = document.createElement("p");
      news.textContent = lastNews;
      panel.append(news);
    }
    if (count) {
      var line = document.createElement("p");
      line.className = "outbox-count";
      line.textContent = say(count === 1 ? words.waiting_one : words.waiting_other, {n: count});
      if (signedIn) {
        var now = document.createElement("button");
        now.type = "button";
        now.className = "secondary";
        now.textContent = words.send_now;
        now.addEventListener("click", flush);
        line.append(" ", now);
      }
      panel.append(line);
    }
    items.filter(function (item) { return !waiting(item); }).forEach(function (item) {
      var kept = document.createElement("div");
      kept.className = "outbox-kept";
      var what = document.createElement("p");
      what.textContent = item.state === "signin" ? words.sign_in : say(words.refused, {what: item.what});
      var text = document.createElement("textarea");
      text.readOnly = true;
      text.setAttribute("aria-label", item.what);
      text.value = item.fields.filter(function (pair) { return pair[0] !== "csrf_token" && pair[0] !== "idempotency_key"; })
        .map(function (pair) { return pair[1]; }).filter(Boolean).join("\n");
      var drop = document.createElement("button");
      drop.type = "button";
      drop.className = "secondary";
      drop.textContent = words.discard;
      drop.addEventListener("click", function () { discard(item.key); });
      kept.append(what, text, drop);
      panel.append(kept);
    });
    panel.hidden = !panel.childElementCount;
  }

  /* ---- Wiring --------------------------------------------------------------------------------------------- */
  function scan(node) {
    (node.querySelectorAll ? node : document).querySelectorAll("form").forEach(watch);
    if (node.tagName === "FORM") watch(node);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (/\/logout$/.test(new URL(form.action, location.href).pathname)) { forgetDrafts(); return; }
    if (form.hasAttribute("data-offline") && !navigator.onLine) {
      event.preventDefault();
      event.stopImmediatePropagation();
      if (form.reportValidity()) queue(form);
      return;
    }
    submitted(form);
  }, true);
  document.addEventListener("htmx:sendError", function (event) {
    var form = event.detail.elt && event.detail.elt.closest && event.detail.elt.closest("form[data-offline]");
    if (form) queue(form);
  });
  document.addEventListener("htmx:load", function (event) { scan(event.target); });
  window.addEventListener("online", flush);

  // A sign-in page after a session ended early: the person's waiting entries are kept for their next sign-in.
  if (signedIn) {
    write(OUTBOX, outbox().map(function (item) { if (item.state === "signin") item.state = "waiting"; return item; }));
  }
  settlePendingDrafts();
  scan(document);
  show();
  flush();
  // After the page has loaded, so precaching the static files never competes with the page itself. Browsers
  // allow a service worker on https:// and on localhost only: over the shop network's plain http the rest of
  // this file still keeps drafts and the outbox.
  if ("serviceWorker" in navigator && root.hasAttribute("data-worker")) {
    var register = function () {
      navigator.serviceWorker.register(root.getAttribute("data-worker"), {scope: "/"}).catch(function () {});
    };
    if (document.readyState === "complete") register();
    else window.addEventListener("load", register);
  }
})();
