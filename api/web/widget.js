/* 技能通 chat widget: one <script src=".../widget.js"> tag adds a chat button to any page.
 * No dependencies, no CDN. Talks to the service that served this file (/v1/chat/...).
 * Replies stream (server-sent events read with fetch: EventSource cannot POST), so the
 * first sentence shows while the citations are still being chosen; when the stream fails
 * before anything arrived, the same message (same Idempotency-Key) goes to the plain
 * JSON endpoint instead, which never answers it twice.
 * Accessible: the button and dialog are labelled, replies are announced through an
 * aria-live log, Esc closes, focus returns to the button; fits a phone screen. */
(function () {
  "use strict";
  if (window.__jntWidget) return;
  window.__jntWidget = true;

  var script = document.currentScript;
  var base = script ? new URL(script.src, location.href).origin : location.origin;
  var STORE = "jnt-chat-session";

  var css = [
    ".jnt-btn{position:fixed;right:16px;bottom:16px;z-index:2147483000;border:0;border-radius:28px;",
    "padding:14px 20px;background:#c0392b;color:#fff;font:16px/1.2 system-ui,sans-serif;cursor:pointer;",
    "box-shadow:0 2px 8px rgba(0,0,0,.3)}",
    ".jnt-btn:focus-visible,.jnt-panel button:focus-visible,.jnt-panel textarea:focus-visible{outline:3px solid #f1c40f;outline-offset:2px}",
    ".jnt-panel{position:fixed;right:16px;bottom:76px;z-index:2147483000;width:380px;max-width:calc(100vw - 32px);",
    "height:560px;max-height:calc(100vh - 96px);display:flex;flex-direction:column;background:#fff;color:#222;",
    "border-radius:12px;box-shadow:0 4px 24px rgba(0,0,0,.3);font:15px/1.5 system-ui,sans-serif}",
    ".jnt-panel[hidden]{display:none}",
    ".jnt-head{display:flex;justify-content:space-between;align-items:center;padding:10px 14px;",
    "background:#c0392b;color:#fff;border-radius:12px 12px 0 0}",
    ".jnt-head h2{margin:0;font-size:16px}.jnt-head button{background:none;border:0;color:#fff;font-size:20px;cursor:pointer}",
    ".jnt-log{flex:1;overflow-y:auto;padding:12px;background:#fafafa}",
    ".jnt-msg{margin:0 0 10px;padding:8px 10px;border-radius:8px;white-space:pre-wrap;word-break:break-word}",
    ".jnt-user{background:#fdebd0;margin-left:40px}.jnt-bot{background:#fff;border:1px solid #ddd;margin-right:20px}",
    ".jnt-cite{margin:6px 0 0;padding:6px 8px;font-size:13px;border:1px solid #e5c4c0;border-radius:6px;background:#fdf7f6}",
    ".jnt-cite summary{cursor:pointer;color:#1a5276}",
    ".jnt-cite blockquote{margin:4px 0;padding:4px 8px;border-left:3px solid #c0392b;background:#fff}",
    ".jnt-cite-note{margin:2px 0 0;font-size:12px;color:#8a5a00}",
    ".jnt-ask{margin:0 12px 4px;font-size:14px;color:#7b241c;font-weight:600}",
    ".jnt-chips{display:flex;flex-wrap:wrap;gap:6px;padding:0 12px 8px;background:#fafafa}",
    ".jnt-chips button{border:1px solid #c0392b;background:#fff;color:#c0392b;border-radius:14px;padding:4px 10px;cursor:pointer}",
    ".jnt-form{display:flex;gap:6px;padding:8px;border-top:1px solid #ddd}",
    ".jnt-form textarea{flex:1;resize:none;height:44px;font:inherit;padding:6px;border:1px solid #bbb;border-radius:6px}",
    ".jnt-form button{border:0;background:#c0392b;color:#fff;border-radius:6px;padding:0 14px;cursor:pointer}",
    ".jnt-rate{font-size:12px;color:#666}.jnt-rate button{background:none;border:1px solid #ccc;border-radius:10px;margin-left:6px;padding:0 8px;cursor:pointer;font-size:12px;color:#555}",
    "@media (max-width:480px){.jnt-panel{right:0;bottom:0;width:100vw;max-width:100vw;height:100vh;max-height:100vh;border-radius:0}}"
  ].join("");

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) node.textContent = text;
    return node;
  }

  var style = el("style"); style.textContent = css; document.head.appendChild(style);
  var button = el("button", {"class": "jnt-btn", "type": "button", "aria-haspopup": "dialog",
                             "aria-expanded": "false", "aria-controls": "jnt-panel"}, "政策咨询");
  var panel = el("div", {"class": "jnt-panel", "id": "jnt-panel", "role": "dialog",
                         "aria-modal": "false", "aria-labelledby": "jnt-title", "hidden": ""});
  var head = el("div", {"class": "jnt-head"});
  head.appendChild(el("h2", {"id": "jnt-title"}, "技能通 · 职业培训政策咨询"));
  var close = el("button", {"type": "button", "aria-label": "关闭对话"}, "×");
  head.appendChild(close);
  var log = el("div", {"class": "jnt-log", "role": "log", "aria-live": "polite",
                       "aria-relevant": "additions", "tabindex": "0"});
  // Labels in the user's script: a Traditional session gets Traditional labels.
  var LABELS = {
    "zh-Hans": {basis: "依据", helpful: "这个回答有帮助吗？", up: "有帮助", down: "没帮助",
                thanks: "谢谢您的反馈。", failed: "反馈没有发送成功。", chips: "快捷回复", send: "发送",
                title: "技能通 · 职业培训政策咨询", placeholder: "例如：我当过兵，能参加补贴培训吗？",
                input: "输入您的问题", close: "关闭对话", waiting: "正在查找相关政策…"},
    "zh-Hant": {basis: "依據", helpful: "這個回答有幫助嗎？", up: "有幫助", down: "沒幫助",
                thanks: "謝謝您的回饋。", failed: "回饋沒有發送成功。", chips: "快捷回覆", send: "發送",
                title: "技能通 · 職業培訓政策諮詢", placeholder: "例如：我當過兵，能參加補貼培訓嗎？",
                input: "輸入您的問題", close: "關閉對話", waiting: "正在查找相關政策…"}
  };
  var labels = LABELS["zh-Hans"];
  var pending = el("p", {"class": "jnt-ask", "hidden": ""});
  var chips = el("div", {"class": "jnt-chips", "aria-label": "快捷回复"});
  var form = el("form", {"class": "jnt-form"});
  var input = el("textarea", {"id": "jnt-input", "aria-label": "输入您的问题", "maxlength": "2000",
                              "placeholder": "例如：我当过兵，能参加补贴培训吗？"});
  var send = el("button", {"type": "submit"}, "发送");
  form.appendChild(input); form.appendChild(send);
  panel.appendChild(head); panel.appendChild(log); panel.appendChild(pending);
  panel.appendChild(chips); panel.appendChild(form);
  document.body.appendChild(button); document.body.appendChild(panel);

  var session = null;
  try { session = JSON.parse(sessionStorage.getItem(STORE) || "null"); } catch (e) { session = null; }

  function api(path, body, key) {
    var headers = {"Content-Type": "application/json"};
    if (session) headers.Authorization = "Bearer " + session.token;
    if (key) headers["Idempotency-Key"] = key;
    return fetch(base + path, {method: body ? "POST" : "GET", headers: headers,
                               body: body ? JSON.stringify(body) : undefined})
      .then(failed);
  }

  // A JSON answer, or an Error carrying the service's Chinese message, status and code.
  function failed(r) {
    return r.json().catch(function () { return {}; }).then(function (data) {
      if (!r.ok) {
        var err = new Error(data.message || "服务暂时不可用，请稍后再试。");
        err.status = r.status; err.code = data.code;
        throw err;
      }
      return data;
    });
  }

  // One key per message, kept across the fallback: the service answers it once.
  function newKey() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    return "w-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
  }

  // POST with a server-sent-event reply: ``on(name, data)`` for start/delta/citations;
  // resolves with the ``done`` reply. A rejection says whether any event had arrived
  // (``err.streamed``): only a stream that brought nothing may be retried without it.
  function stream(path, body, key, on) {
    var headers = {"Content-Type": "application/json", "Accept": "text/event-stream",
                   "Idempotency-Key": key};
    if (session) headers.Authorization = "Bearer " + session.token;
    var arrived = false;
    return fetch(base + path, {method: "POST", headers: headers, body: JSON.stringify(body)})
      .then(function (r) {
        var kind = r.headers.get("Content-Type") || "";
        if (!r.ok || !r.body || kind.indexOf("text/event-stream") !== 0) {
          return failed(r).then(function () { throw new Error("服务暂时不可用，请稍后再试。"); });
        }
        var reader = r.body.getReader(), decoder = new TextDecoder(), buffer = "", reply = null;
        function dispatch(block) {
          var name = "message", data = [];
          block.split(/\r?\n/).forEach(function (line) {
            if (line.indexOf("event:") === 0) name = line.slice(6).trim();
            else if (line.indexOf("data:") === 0) data.push(line.slice(5).replace(/^ /, ""));
          });
          if (!data.length) return;  // ": keepalive" comments keep proxies patient
          arrived = true;
          var payload = JSON.parse(data.join("\n"));
          if (name === "done") { reply = payload; return; }
          if (name === "error") {
            var err = new Error(payload.message || "服务暂时不可用，请稍后再试。");
            err.code = payload.code;
            throw err;
          }
          on(name, payload);
        }
        function pump() {
          return reader.read().then(function (chunk) {
            if (!chunk.done) {
              buffer += decoder.decode(chunk.value, {stream: true});
              var blocks = buffer.split(/\r?\n\r?\n/);
              buffer = blocks.pop();
              blocks.forEach(dispatch);
            }
            if (reply) return reply;
            if (chunk.done) throw new Error("连接中断了，请重新发送。");
            return pump();
          });
        }
        return pump();
      })
      .catch(function (err) { err.streamed = arrived; throw err; });
  }

  // Worth asking the JSON endpoint instead: nothing came through, and the failure was the
  // way (network, proxy, a service without the stream), not a refusal of the message.
  function mayFallBack(err) {
    if (err.streamed) return false;
    var s = err.status;
    return s === undefined || s >= 500 || s === 405 || (s === 404 && err.code === "not_found");
  }

  function ensureSession() {
    if (session) return Promise.resolve(session);
    return api("/v1/chat/sessions", {}).then(function (s) {
      session = {id: s.session_id, token: s.token};
      sessionStorage.setItem(STORE, JSON.stringify(session));
      return session;
    });
  }

  function addMessage(text, who) {
    var p = el("p", {"class": "jnt-msg " + (who === "user" ? "jnt-user" : "jnt-bot")});
    p.textContent = text;
    log.appendChild(p);
    log.scrollTop = log.scrollHeight;
    return p;
  }

  // Replies appear progressively: a few characters at a time (after what the stream has
  // already shown), then the citations.
  function reveal(node, text, done, from) {
    var i = from || 0;
    var step = Math.max(2, Math.ceil(text.length / 60));
    node.setAttribute("aria-busy", "true");
    (function tick() {
      i = Math.min(text.length, i + step);
      node.textContent = text.slice(0, i);
      log.scrollTop = log.scrollHeight;
      if (i < text.length) { setTimeout(tick, 16); } else { node.removeAttribute("aria-busy"); done(); }
    })();
  }

  function applyLabels(chosen) {
    labels = chosen;
    send.textContent = labels.send;
    chips.setAttribute("aria-label", labels.chips);
    input.setAttribute("placeholder", labels.placeholder);
    input.setAttribute("aria-label", labels.input);
    close.setAttribute("aria-label", labels.close);
    document.getElementById("jnt-title").textContent = labels.title;
  }

  // A citation card names the document and the last two levels of its section.
  function shortSection(section) {
    var parts = (section || "").split(/\s*[›>\/]\s*/).filter(Boolean);
    return parts.slice(-2).join(" › ");
  }

  // ``node``: the placeholder that stood for this reply while it was on its way;
  // ``shown``: the reply's opening already streamed into it.
  function showReply(reply, node, shown) {
    applyLabels(LABELS[reply.script] || LABELS["zh-Hans"]);
    var answer = reply.answer || "";
    var from = shown && answer.indexOf(shown) === 0 ? shown.length : 0;
    reveal(node, answer, function () {
      (reply.citations || []).forEach(function (c, i) {
        var d = el("details", {"class": "jnt-cite"});
        var where = c.section_short || shortSection(c.section);
        d.appendChild(el("summary", {}, labels.basis + " " + (i + 1) + "：《" + c.title + "》" + (where ? " " + where : "")));
        d.appendChild(el("blockquote", {}, c.quote));
        node.appendChild(d);
        // A reprint or news report says so next to its quote, never folded away.
        if (c.note) node.appendChild(el("div", {"class": "jnt-cite-note"}, "⚠ " + c.note));
      });
      if (reply.turn_id) node.appendChild(rating(reply.turn_id));
      setChips(reply);
    }, from);
  }

  function rating(turnId) {
    var box = el("div", {"class": "jnt-rate"}, labels.helpful);
    // Words, not 👍/👎: a machine without a colour-emoji font shows those as empty boxes.
    [["up", labels.up], ["down", labels.down]].forEach(function (r) {
      var b = el("button", {"type": "button"}, r[1]);
      b.addEventListener("click", function () {
        api("/v1/feedback", {turn_id: turnId, rating: r[0]}).then(function () {
          box.textContent = labels.thanks;
        }, function () { box.textContent = labels.failed; });
      });
      box.appendChild(b);
    });
    return box;
  }

  // The follow-up question stands above its quick-reply chips.
  function setChips(reply) {
    chips.textContent = "";
    pending.textContent = reply.follow_up || "";
    pending.hidden = !reply.follow_up;
    (reply.follow_up ? reply.quick_replies || [] : []).forEach(function (text) {
      var b = el("button", {"type": "button"}, text);
      b.addEventListener("click", function () { ask(text); });
      chips.appendChild(b);
    });
  }

  // One question at a time: a second one sent before the first is answered would be read
  // without it (「那我老婆呢」 before 「能领失业金吗」 is back), so it stays in the input.
  var busy = false;

  function ask(text) {
    text = (text || "").trim();
    if (!text || busy) return;
    busy = true;
    addMessage(text, "user");
    chips.textContent = "";
    pending.hidden = true;
    input.value = "";
    send.disabled = true;
    var node = addMessage(labels.waiting, "bot");
    node.setAttribute("aria-busy", "true");
    var key = newKey(), shown = "";
    ensureSession()
      .then(function (s) {
        var path = "/v1/chat/sessions/" + s.id + "/messages";
        return stream(path + "/stream", {text: text}, key, function (name, data) {
          if (name !== "delta") return;
          shown += data.text || "";
          node.textContent = shown;
          log.scrollTop = log.scrollHeight;
        }).catch(function (err) {
          if (!mayFallBack(err)) throw err;
          return api(path, {text: text}, key);
        });
      })
      .then(function (reply) { showReply(reply, node, shown); }, function (err) {
        if (err.status === 401 || err.status === 404) { session = null; sessionStorage.removeItem(STORE); }
        node.textContent = err.message;
        node.removeAttribute("aria-busy");
      })
      .then(function () { busy = false; send.disabled = false; input.focus(); });
  }

  function open() {
    panel.hidden = false;
    button.setAttribute("aria-expanded", "true");
    if (!log.childNodes.length) addMessage("您好！我可以解答职业技能培训补贴、1+X 证书、培训品牌等政策问题。请问有什么想了解的？", "bot");
    input.focus();
  }
  function shut() {
    panel.hidden = true;
    button.setAttribute("aria-expanded", "false");
    button.focus();
  }

  button.addEventListener("click", function () { panel.hidden ? open() : shut(); });
  close.addEventListener("click", shut);
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") shut(); });
  form.addEventListener("submit", function (e) { e.preventDefault(); ask(input.value); });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); ask(input.value); }
  });
})();
