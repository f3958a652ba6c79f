/* Counselor console: one walk-in case at a time. Start a case, fill the profile (or load it
 * from a chat session), rank programs, answer the guide's questions with one click, look up
 * why a program is missing, check subsidy rules, and print the hand-out that the server
 * builds from the chosen program ids. Plain JS, no CDN. */
(function () {
  "use strict";
  var WEIGHTS = {fit: "契合度", shortage: "紧缺职业", brand: "培训品牌", outcomes: "培训效果",
                 cost: "个人费用", convenience: "方式和时间", progression: "等级晋升"};
  var DEFAULTS = {fit: 0.30, shortage: 0.15, brand: 0.10, outcomes: 0.15, cost: 0.10,
                  convenience: 0.10, progression: 0.10};
  var ENTERABLE = {yes: "可报名", confirm: "报名条件待确认", no: "不能报名"};
  var STATUS_CLASS = {applies: "pass", not_eligible: "fail", undetermined: "unknown",
                      expired: "muted", not_yet_effective: "muted", not_applicable: "muted"};
  var token = sessionStorage.getItem("jnt-console-token");
  var state = freshState();
  var $ = function (id) { return document.getElementById(id); };

  function freshState() {
    // extra: profile fields the guide recorded that have no form control; skipped: guide
    // questions the counselor could not answer ("不清楚"), never asked again in this case
    return {caseId: null, results: [], picked: {}, extra: {}, skipped: []};
  }

  function api(path, body, opts) {
    opts = opts || {};
    var headers = {"Content-Type": "application/json"};
    if (token) headers.Authorization = "Bearer " + token;
    var method = opts.method || (body === undefined ? "GET" : "POST");
    return fetch(path, {method: method, headers: headers,
                        body: body === undefined ? undefined : JSON.stringify(body)})
      .then(function (r) {
        if (opts.raw && r.ok) return r.blob();
        return r.json().catch(function () { return {}; }).then(function (d) {
          if (!r.ok) throw new Error(d.message || ("请求失败（" + r.status + "）"));
          return d;
        });
      });
  }

  function el(tag, attrs, text) {
    var n = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { n.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) n.textContent = text;
    return n;
  }

  function showError(err) { $("form-error").textContent = err.message || String(err); }

  // -- sign in -------------------------------------------------------------------------
  function signedIn(name) {
    $("login").hidden = true; $("work").hidden = false;
    $("who").textContent = name ? "已登录：" + name : "已登录";
    loadVocabulary();
  }
  $("login-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var f = e.target;
    api("/v1/auth/login", {username: f.username.value, password: f.password.value})
      .then(function (d) {
        token = d.token; sessionStorage.setItem("jnt-console-token", token);
        signedIn(f.username.value);
      }, function (err) { $("login-error").textContent = err.message; });
  });
  if (token) signedIn("");

  function loadVocabulary() {
    api("/v1/vocabulary").then(function (d) {
      var box = $("limits");
      if (box.querySelector("input")) return;
      (d.physical_limits || []).forEach(function (l) {
        var label = el("label", {"class": "chip"});
        var input = el("input", {type: "checkbox", name: "limit", value: l.code});
        label.appendChild(input); label.appendChild(document.createTextNode(" " + l.label));
        box.appendChild(label);
      });
    }, function () { $("limits").hidden = true; });
  }

  // -- weights (collapsed by default) ---------------------------------------------------------
  Object.keys(WEIGHTS).forEach(function (k) {
    var label = el("label", {}, WEIGHTS[k] + " ");
    var input = el("input", {type: "range", min: "0", max: "1", step: "0.05", name: "w-" + k,
                             value: String(DEFAULTS[k]), "aria-label": "权重：" + WEIGHTS[k]});
    var out = el("output", {}, String(DEFAULTS[k]));
    input.addEventListener("input", function () { out.textContent = input.value; });
    label.appendChild(input); label.appendChild(out);
    $("weights").appendChild(label);
  });

  // -- case ---------------------------------------------------------------------------------
  $("new-case").addEventListener("click", function () {
    state = freshState();
    $("profile-form").reset();
    ["guide", "why", "eligibility", "compare", "why-found", "results", "assumptions",
     "alternatives"].forEach(function (id) { $(id).textContent = ""; });
    $("notice").hidden = true; $("form-error").textContent = "";
    $("notes").value = ""; $("follow-up").value = ""; $("outcome").value = "未定";
    api("/v1/cases", {profile: {}}).then(function (c) {
      state.caseId = c.id;
      $("case-ref").textContent = c.worker_ref;
      $("case-fields").hidden = false; $("case-saved").textContent = "";
      $("profile-form").province.focus();
    }, showError);
  });

  function saveCase(extra) {
    if (!state.caseId) return Promise.resolve();
    var body = {profile: profile(), notes: $("notes").value,
                follow_up: $("follow-up").value || null, outcome: $("outcome").value,
                program_ids: chosen().map(function (r) { return r.program_id; })};
    Object.keys(extra || {}).forEach(function (k) { body[k] = extra[k]; });
    return api("/v1/cases/" + state.caseId, body, {method: "PATCH"}).then(function () {
      $("case-saved").textContent = "已保存 " + new Date().toLocaleTimeString("zh-CN");
    });
  }
  $("save-case").addEventListener("click", function () { saveCase().catch(showError); });

  $("my-cases-btn").addEventListener("click", function () {
    var list = $("my-cases");
    if (!list.hidden) { list.hidden = true; return; }
    list.textContent = "";
    api("/v1/cases?limit=20").then(function (d) {
      (d.cases || []).forEach(function (c) {
        var li = el("li");
        var open = el("button", {type: "button", "class": "link"},
                      c.worker_ref + " · " + c.outcome + (c.follow_up ? " · 跟进 " + c.follow_up : ""));
        open.addEventListener("click", function () { openCase(c); list.hidden = true; });
        li.appendChild(open); list.appendChild(li);
      });
      if (!list.childNodes.length) list.appendChild(el("li", {}, "还没有个案。"));
      list.hidden = false;
    }, showError);
  });

  $("from-chat").addEventListener("click", function () {
    var sid = $("profile-form").session_id.value.trim();
    if (!sid) { showError(new Error("请先填写对话编号。")); return; }
    api("/v1/cases/from-chat", {session_id: sid}).then(openCase, showError);
  });

  function openCase(c) {
    state = freshState();
    state.caseId = c.id;
    $("profile-form").reset();
    fill(c.profile || {});
    $("case-ref").textContent = c.worker_ref;
    $("case-fields").hidden = false;
    $("notes").value = c.notes || ""; $("follow-up").value = c.follow_up || "";
    $("outcome").value = c.outcome || "未定";
    match().then(function () {
      (c.program_ids || []).forEach(function (id) { state.picked[id] = true; });
      renderResults(); renderCompare();
    });
  }

  // -- profile -------------------------------------------------------------------------
  function split(s) { return s.split(/[、,，;；]/).map(function (x) { return x.trim(); }).filter(Boolean); }

  function profile() {
    var f = $("profile-form"), p = {};
    Object.keys(state.extra).forEach(function (k) { p[k] = state.extra[k]; });
    ["province", "city", "county", "interests_text", "skills_text", "travel", "mode", "schedule"]
      .forEach(function (k) { if (f[k].value.trim()) p[k] = f[k].value.trim(); });
    if (f.age.value) p.age = Number(f.age.value);
    if (f.max_hours.value) p.max_hours = Number(f.max_hours.value);
    if (f.groups.value.trim()) p.groups = split(f.groups.value);
    if (f.no_certificates.checked) {
      p.certificates = [];
    } else if (f.certificates.value.trim()) {
      p.certificates = f.certificates.value.split(/[;；]/).map(function (s) {
        var parts = s.split(/[:：]/); return {occupation: (parts[0] || "").trim(), level: (parts[1] || "").trim()};
      }).filter(function (c) { return c.occupation; });
    }
    var limits = Array.prototype.filter.call(document.querySelectorAll("input[name=limit]"),
      function (i) { return i.checked; }).map(function (i) { return i.value; });
    if (limits.length) p.physical_limits = limits;
    return p;
  }
  function weights() {
    var w = {};
    Object.keys(WEIGHTS).forEach(function (k) { w[k] = Number($("profile-form")["w-" + k].value); });
    return w;
  }
  function fill(p) {
    var f = $("profile-form");
    Object.keys(p || {}).forEach(function (k) {
      var v = p[k];
      if (k === "physical_limits") {
        document.querySelectorAll("input[name=limit]").forEach(function (i) {
          i.checked = (v || []).indexOf(i.value) >= 0;
        });
        return;
      }
      if (k === "certificates" && Array.isArray(v) && !v.length) { f.no_certificates.checked = true; return; }
      if (!f[k] || f[k].type === "checkbox") { state.extra[k] = v; return; }
      if (k === "groups" && Array.isArray(v)) v = v.join("、");
      if (k === "certificates" && Array.isArray(v)) v = v.map(function (c) { return c.occupation + ":" + c.level; }).join("；");
      f[k].value = v;
    });
  }
  $("no-certs").addEventListener("change", function (e) {
    $("profile-form").certificates.disabled = e.target.checked;
  });

  $("profile-form").addEventListener("submit", function (e) {
    e.preventDefault();
    $("form-error").textContent = "";
    var sid = $("profile-form").session_id.value.trim();
    var load = sid ? api("/v1/chat/sessions/" + encodeURIComponent(sid) + "/profile")
      .then(function (d) { fill(d.profile || d); }) : Promise.resolve();
    load.then(match).then(function () { $("results-card").scrollIntoView({block: "start"}); })
      .catch(showError);
  });

  function match() {
    return api("/v1/match", {profile: profile(), k: 10, weights: weights()}).then(function (d) {
      state.results = d.results || []; state.picked = {};
      renderNotice(d);
      renderAssumptions(d.assumptions || []);
      renderResults();
      renderCompare();
      saveCase().catch(function () {});
    }, showError);
  }

  function renderNotice(d) {
    var notice = $("notice"), alt = $("alternatives");
    notice.hidden = !d.notice; notice.textContent = d.notice || "";
    alt.textContent = "";
    (d.alternatives || []).forEach(function (a) {
      alt.appendChild(el("li", {}, (a.title || "") + (a.why ? "：" + a.why : "")));
    });
  }

  function renderAssumptions(list) {
    var ul = $("assumptions"); ul.textContent = "";
    list.forEach(function (a) { ul.appendChild(el("li", {}, a)); });
  }

  function place(r) { return [r.province, r.city, r.county].filter(Boolean).join(""); }

  function renderResults() {
    var ol = $("results"); ol.textContent = "";
    state.results.forEach(function (r) {
      var li = el("li", {"data-program": r.program_id, "class": "result"});
      var head = el("div", {"class": "result-head"});
      var check = el("input", {type: "checkbox", "aria-label": "加入候选清单：" + r.title});
      check.checked = !!state.picked[r.program_id];
      check.addEventListener("change", function () {
        state.picked[r.program_id] = check.checked; renderCompare(); saveCase().catch(function () {});
      });
      head.appendChild(check);
      head.appendChild(el("strong", {}, r.title));
      if (r.enterable && ENTERABLE[r.enterable]) {
        head.appendChild(el("span", {"class": "badge " + r.enterable}, ENTERABLE[r.enterable]));
      }
      li.appendChild(head);
      li.appendChild(el("div", {"class": "meta"}, [r.provider, place(r), r.mode, r.level,
        r.start_date ? r.start_date + " 开班" : null,
        r.fee_yuan !== null && r.fee_yuan !== undefined ? "收费 " + r.fee_yuan + " 元" : null]
        .filter(Boolean).join(" · ")));
      var reasons = r.reasons || [];
      var ul = el("ul", {"class": "reasons"});
      reasons.slice(0, 3).forEach(function (x) { ul.appendChild(el("li", {}, x)); });
      li.appendChild(ul);
      var more = el("details", {"class": "more"});
      more.appendChild(el("summary", {}, "更多（得分 " + r.score.toFixed(3) + "，编号 " + r.program_id + "）"));
      var rest = el("ul");
      reasons.slice(3).forEach(function (x) { rest.appendChild(el("li", {}, x)); });
      more.appendChild(rest);
      var bars = el("div", {"class": "bars", role: "list", "aria-label": "各项得分"});
      Object.keys(r.factors || {}).forEach(function (k) {
        var v = r.factors[k];
        bars.appendChild(el("span", {role: "listitem"}, WEIGHTS[k] || k));
        var bar = el("div", {"class": "bar", role: "meter", "aria-valuemin": "0", "aria-valuemax": "1",
                             "aria-valuenow": String(v), "aria-label": (WEIGHTS[k] || k)});
        var fillBar = el("span"); fillBar.style.width = Math.round(v * 100) + "%";
        bar.appendChild(fillBar); bars.appendChild(bar);
        bars.appendChild(el("span", {}, v.toFixed(2)));
      });
      more.appendChild(bars);
      li.appendChild(more);
      ol.appendChild(li);
    });
    if (!state.results.length) ol.appendChild(el("li", {}, "没有符合条件的项目。"));
  }

  function chosen() { return state.results.filter(function (r) { return state.picked[r.program_id]; }); }

  function renderCompare() {
    var box = $("compare"); box.textContent = "";
    var list = chosen();
    if (!list.length) { box.appendChild(el("p", {}, "还没有勾选项目。")); return; }
    var table = el("table"); var head = el("tr"); head.appendChild(el("th", {}, "项目"));
    list.slice(0, 3).forEach(function (r) { head.appendChild(el("th", {}, r.title)); });
    table.appendChild(head);
    [["培训机构", "provider"], ["地点", "city"], ["方式", "mode"], ["等级", "level"], ["课时", "hours"],
     ["收费（元）", "fee_yuan"], ["开班日期", "start_date"]].forEach(function (row) {
      var tr = el("tr"); tr.appendChild(el("th", {}, row[0]));
      list.slice(0, 3).forEach(function (r) { tr.appendChild(el("td", {}, r[row[1]] === null || r[row[1]] === undefined ? "—" : String(r[row[1]]))); });
      table.appendChild(tr);
    });
    box.appendChild(table);
    if (list.length > 3) box.appendChild(el("p", {"class": "hint"}, "另有 " + (list.length - 3) + " 个项目在推荐单中。"));
  }

  // -- guide: one click answers the question and re-ranks; it ends ----------------------------
  function askGuide() {
    var body = {profile: profile(), k: 5};
    if (state.skipped.length) body.skip = state.skipped;
    return api("/v1/match/guide", body).then(renderGuide, function (err) {
      $("guide").textContent = err.message;
    });
  }
  $("guide-btn").addEventListener("click", askGuide);

  function renderGuide(d) {
    var box = $("guide"); box.textContent = "";
    if (d.stable || !d.next_question) {
      box.appendChild(el("p", {"class": "done"}, d.message || "推荐已稳定，不需要再问了。"));
      return;
    }
    var q = d.next_question;
    box.appendChild(el("p", {}, "建议问：" + q.question));
    var row = el("div", {"class": "chips", role: "group", "aria-label": q.question});
    (q.choices || q.options.map(function (o) { return {label: o, value: o}; })).forEach(function (c) {
      var b = el("button", {type: "button", "class": "chip"}, c.label);
      b.addEventListener("click", function () { answer(q.field, c.value); });
      row.appendChild(b);
    });
    var skip = el("button", {type: "button", "class": "chip quiet"}, "不清楚，跳过");
    skip.addEventListener("click", function () { state.skipped.push(q.field); askGuide(); });
    row.appendChild(skip);
    box.appendChild(row);
  }

  function answer(field, value) {
    var f = $("profile-form");
    if (field === "groups") {
      f.groups.value = (value || []).join("、");
      if (!value || !value.length) state.extra.groups = [];
      else delete state.extra.groups;
    } else if (f[field] && f[field].tagName === "SELECT" && !Array.prototype.some.call(
        f[field].options, function (o) { return o.value === String(value); })) {
      state.extra[field] = value;
    } else if (f[field]) {
      f[field].value = value;
    } else {
      state.extra[field] = value;
    }
    match().then(askGuide);
  }

  // -- why not: find the program by name, then ask --------------------------------------------
  $("why-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var q = e.target.q.value.trim(); if (!q) return;
    var list = $("why-found"); list.textContent = ""; $("why").textContent = "";
    api("/v1/programs?limit=8&q=" + encodeURIComponent(q)).then(function (d) {
      (d.programs || []).forEach(function (p) {
        var b = el("button", {type: "button", "class": "link"},
                   p.title + "（" + [p.provider, p.city].filter(Boolean).join("，") + "）");
        b.addEventListener("click", function () { whyNot(p.program_id); });
        var li = el("li"); li.appendChild(b); list.appendChild(li);
      });
      if (!list.childNodes.length) list.appendChild(el("li", {}, "目录中没有找到“" + q + "”。"));
      if (d.total > 8) list.appendChild(el("li", {"class": "hint"}, "共 " + d.total + " 个，请输入更具体的名称。"));
    }, function (err) { $("why").textContent = err.message; });
  });

  function whyNot(id) {
    api("/v1/match", {profile: profile(), k: 10, weights: weights(), why_not: id}).then(function (d) {
      $("why").textContent = d.title + "：" + (d.excluded
        ? d.rules.map(function (r) { return r.reason; }).join("；")
        : "没有被排除，排在第 " + d.rank + " 位。" + (d.behind || []).join("；"));
    }, function (err) { $("why").textContent = err.message; });
  }

  // -- eligibility panel ----------------------------------------------------------------------
  $("eligibility-btn").addEventListener("click", function () {
    var box = $("eligibility"); box.textContent = "";
    api("/v1/eligibility", {profile: profile()}).then(function (d) {
      var s = d.summary || {};
      var head = [];
      head.push("所在地：" + (d.place || "未提供"));
      if (s.note) head.push(s.note);
      if (s.other_places) head.push("另有 " + s.other_places + " 条其他地区的规定未列出");
      if (s.other_subjects) head.push(s.other_subjects + " 条面向企业、院校等的规定未列出");
      box.appendChild(el("p", {"class": "hint"}, head.join("；") + "。"));
      if (s.ask_next && s.ask_next.length) {
        box.appendChild(el("p", {}, "建议先问：" + s.ask_next.slice(0, 3).map(function (q) { return q.question; }).join(" / ")));
      }
      // what the counselor acts on first: rules that apply or fail, and the open ones
      // closest to settled; the rest (more open ones, expired, 不适用) folded away
      var shown = 0, rest = el("details", {"class": "rest"}), restCount = 0;
      (d.results || []).forEach(function (r) {
        var first = r.status === "applies" || r.status === "not_eligible" ||
                    (r.status === "undetermined" && shown < 8);
        if (r.status === "undetermined" && first) shown += 1;
        (first ? box : rest).appendChild(ruleItem(r));
        if (!first) restCount += 1;
      });
      if (restCount) {
        rest.insertBefore(el("summary", {}, "其余 " + restCount + " 条（待确认、已到期、不适用）"), rest.firstChild);
        box.appendChild(rest);
      }
      if (!(d.results || []).length) box.appendChild(el("p", {}, "没有可判断的规则；请补充画像。"));
    }, function (err) { box.textContent = err.message; });
  });

  function ruleItem(r) {
    var det = el("details", {"class": "trace " + (STATUS_CLASS[r.status] || "")});
    det.appendChild(el("summary", {}, "【" + (r.label || r.status) + "】" + r.title + (r.region ? "（" + r.region + "）" : "")));
    if (r.reason) det.appendChild(el("p", {}, r.reason));
    var ul = el("ul");
    (r.questions || []).forEach(function (q) { ul.appendChild(el("li", {}, "待问：" + q.question)); });
    (r.failed || []).forEach(function (f) { ul.appendChild(el("li", {}, f.label + "：" + f.value + "；条件：" + f.condition)); });
    det.appendChild(ul);
    var cite = (r.citations || [])[0];
    if (cite) {
      var parts = (cite.section || "").split(" › ");
      det.appendChild(el("div", {"class": "hint"}, "依据：" + [cite.doc_number || parts[0] || cite.doc,
        parts.slice(-2).join(" › ")].filter(Boolean).join(" ") + (cite.quote ? "：“" + cite.quote + "”" : "")));
    }
    return det;
  }

  // -- hand-out: built by the server from program ids -------------------------------------------
  function handoutBody() {
    var ids = chosen().map(function (r) { return r.program_id; });
    if (!ids.length) throw new Error("请先勾选项目。");
    var body = {program_ids: ids, weights: weights()};
    if (state.caseId) body.case_id = state.caseId; else body.profile = profile();
    return body;
  }

  $("print").addEventListener("click", function () {
    var body;
    try { body = handoutBody(); } catch (err) { showError(err); return; }
    var win = window.open("", "handout");
    if ($("outcome").value === "未定") $("outcome").value = "已推荐";
    saveCase()
      .then(function () { return api("/v1/handout.html", body, {raw: true}); })
      .then(function (blob) {
        var url = URL.createObjectURL(blob);
        if (win) { win.location = url; } else { window.open(url, "handout"); }
      }, function (err) { if (win) win.close(); showError(err); });
  });

  $("export-xlsx").addEventListener("click", function () {
    var body;
    try { body = handoutBody(); } catch (err) { showError(err); return; }
    api("/v1/handout.xlsx", body, {raw: true}).then(function (blob) {
      var a = el("a", {href: URL.createObjectURL(blob), download: "培训项目推荐单.xlsx"});
      document.body.appendChild(a); a.click(); a.remove();
    }, showError);
  });
})();
