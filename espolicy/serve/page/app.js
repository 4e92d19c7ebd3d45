// The support-desk page: everything comes from this server (no outside requests), text is always
// put in with textContent, and every control is reachable by keyboard.
"use strict";

const WORDS = {
  en: {
    skip: "Skip to the decision", title: "Support desk: check a document", language: "Language",
    input: "Document", example: "Pick an example", choose: "— choose —", upload: "Upload a file",
    paste: "Paste a registration, change request or service request (YAML or JSON)",
    help: "Ctrl+Enter checks the document.", check: "Check", decision: "Decision", outcome: "Outcome",
    findings: "Findings", facts: "Facts", explain: "How the rules judged it (explain)",
    none: "None.", checking: "Checking…", checked: "Checked.", advice: "What the customer can do",
    faq: "FAQ", where: "Field", line: "line", column: "column", policy: "Policy",
    allow: "allow", deny: "deny", review: "review", invalid: "invalid",
    cannotRead: "The document cannot be read", empty: "Paste or pick a document first.",
    valuesHeading: "Facts and lets, in the order they are computed", rulesHeading: "Rules",
    fired: "fired", notFired: "did not fire", notForKind: "not for this kind", notEvaluated: "not evaluated",
    playground: "Playground: edit a copy of the rules",
    playgroundHelp: "Changes stay in this page. The edited rules are checked and run on the document above in a separate, limited process.",
    ruleFile: "Rule file", rules: "Rules", runRules: "Check and run the edited rules", diagnostics: "Diagnostics",
    newOutcome: "Decision with the edited rules", running: "Running the edited rules…", noDiagnostics: "No diagnostics.",
    network: "The server could not be reached",
  },
  ja: {
    skip: "判定結果へ移動", title: "サポート窓口: 文書の確認", language: "言語",
    input: "文書", example: "例を選ぶ", choose: "— 選択 —", upload: "ファイルを読み込む",
    paste: "登録・変更依頼・サービス依頼の文書を貼り付けてください（YAML または JSON）",
    help: "Ctrl+Enter で確認します。", check: "確認", decision: "判定", outcome: "結果",
    findings: "指摘事項", facts: "算出値", explain: "ルールによる判定の過程（explain）",
    none: "ありません。", checking: "確認中…", checked: "確認しました。", advice: "お客様へのご案内",
    faq: "FAQ", where: "項目", line: "行", column: "列", policy: "ポリシー",
    allow: "許可 (allow)", deny: "不可 (deny)", review: "要確認 (review)", invalid: "不正 (invalid)",
    cannotRead: "文書を読み込めません", empty: "先に文書を貼り付けるか例を選んでください。",
    valuesHeading: "算出値と中間値（計算順）", rulesHeading: "ルール",
    fired: "該当", notFired: "非該当", notForKind: "この種類には適用されません", notEvaluated: "未評価",
    playground: "プレイグラウンド: ルールの複製を編集",
    playgroundHelp: "変更はこのページの中だけに残ります。編集したルールは、制限付きの別プロセスで検査され、上の文書に適用されます。",
    ruleFile: "ルールファイル", rules: "ルール", runRules: "編集したルールを検査して実行", diagnostics: "診断",
    newOutcome: "編集したルールでの判定", running: "編集したルールを実行中…", noDiagnostics: "診断はありません。",
    network: "サーバに接続できません",
  },
};

const $ = (id) => document.getElementById(id);
let lang = "en";
let last = null;           // the last decision (both languages), re-rendered on a language switch
let lastPlayground = null;
const ruleTexts = {};      // playground: file name -> edited text

function t(key) { return WORDS[lang][key] || WORDS.en[key] || key; }
function pick(text) { return text ? (text[lang] || text.en || "") : ""; }
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "text") node.textContent = v; else node.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}
function show(value) {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function applyWords() {
  document.documentElement.lang = lang;
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  if (last) render(last);
  if (lastPlayground) renderPlayground(lastPlayground);
}

function mediaType(text) {
  return /^\s*[{[]/.test(text) ? "application/json" : "application/yaml";
}

async function check() {
  const text = $("doc").value;
  if (!text.trim()) { $("status").textContent = t("empty"); return; }
  $("status").textContent = t("checking");
  $("check").disabled = true;
  try {
    const response = await fetch("/v1/validate?explain=1", {
      method: "POST", headers: {"Content-Type": mediaType(text)}, body: text,
    });
    const body = await response.json();
    last = {status: response.status, body};
    render(last);
    $("status").textContent = t("checked");
  } catch (e) {
    last = null;
    $("status").textContent = t("network") + ": " + e;
  } finally {
    $("check").disabled = false;
  }
}

function setOutcome(node, outcome) {
  node.dataset.outcome = outcome || "";
  node.textContent = outcome ? t(outcome) : "—";
}

function render({status, body}) {
  const error = $("error");
  $("findings").replaceChildren();
  $("facts").replaceChildren();
  $("explain").replaceChildren();
  if (body.policy) $("policy").textContent = `${t("policy")}: ${body.policy.name} (${body.policy.digest.slice(0, 19)}…)`;
  if (status !== 200) {
    setOutcome($("outcome"), "invalid");
    const e = body.error || {};
    const where = e.line ? ` (${t("line")} ${e.line}, ${t("column")} ${e.column})` : "";
    error.hidden = false;
    error.replaceChildren(el("p", {text: `${t("cannotRead")}${where}: ${e.message || status}`}),
                          el("p", {class: "help", text: e.help || ""}));
    if (e.line) moveTo($("doc"), e.line, e.column);
    return;
  }
  error.hidden = true;
  setOutcome($("outcome"), body.outcome);
  renderFindings($("findings"), body.findings, body.questions || {});
  const facts = Object.entries(body.facts || {});
  if (!facts.length) $("facts").append(el("dt", {text: t("none")}));
  for (const [k, v] of facts) $("facts").append(el("dt", {text: k}), el("dd", {text: show(v)}));
  if (body.explain) $("explain").append(explainTree(body.explain));
}

function renderFindings(list, findings, questions) {
  list.replaceChildren();
  if (!findings.length) { list.append(el("li", {text: t("none")})); return; }
  for (const f of findings) {
    const item = el("li", {class: `finding effect-${f.effect}`, "data-rule": f.rule});
    item.append(el("p", {class: "head"}, el("span", {class: "effect", text: f.effect}), " ",
                    el("code", {text: f.rule})));
    item.append(el("p", {class: "message", text: pick(f.message)}));
    for (const q of f.faq || []) {
      if (questions[q]) item.append(el("p", {class: "question"}, el("strong", {text: `${t("faq")} ${q}: `}),
                                        pick(questions[q])));
    }
    if (f.advice) item.append(el("p", {class: "advice"}, el("strong", {text: `${t("advice")}: `}), pick(f.advice)));
    if (f.path || f.line) {
      const where = `${t("where")}: ${f.path || "/"}` + (f.line ? ` (${t("line")} ${f.line}, ${t("column")} ${f.column})` : "");
      const button = el("button", {type: "button", class: "link", text: where});
      if (f.line) button.addEventListener("click", () => moveTo($("doc"), f.line, f.column));
      item.append(el("p", {class: "where"}, button));
    }
    list.append(item);
  }
}

function node(step) {
  const mark = !step.evaluated ? "·" : (step.value === true ? "✓" : step.value === false ? "✗" : "=");
  const value = step.evaluated && typeof step.value !== "boolean" ? ` — ${show(step.value)}` : "";
  const label = step.evaluated ? "" : ` (${t("notEvaluated")})`;
  const li = el("li", {}, el("span", {class: "mark", "aria-hidden": "true", text: mark + " "}),
                el("code", {text: step.expr}), value + label);
  if (step.children && step.children.length) li.append(el("ul", {}, ...step.children.map(node)));
  return li;
}

function explainTree(x) {
  const box = el("div", {});
  box.append(el("h4", {text: t("valuesHeading")}));
  const values = el("ul", {class: "tree"});
  for (const v of x.values) {
    values.append(el("li", {}, el("code", {text: `${v.exported ? "fact" : "let"} ${v.name} = ${show(v.value)}`}),
                     el("span", {class: "expr", text: `  ← ${v.expr}`})));
  }
  box.append(values);
  box.append(el("h4", {text: t("rulesHeading")}));
  const rules = el("ul", {class: "tree"});
  for (const r of x.rules) {
    if (!r.applies) continue;
    const details = el("details", {});
    const state = r.fired ? t("fired") : t("notFired");
    details.append(el("summary", {}, `${r.fired ? "✓" : "✗"} `, el("code", {text: r.rule}),
                      ` (${r.effect}${r.faq.length ? ", " + r.faq.join(", ") : ""}): ${state}`));
    for (const inst of r.instances) {
      const list = el("ul", {}, node(inst.steps));
      if (inst.fired && inst.message) list.append(el("li", {class: "message", text: "→ " + pick(inst.message)}));
      details.append(list);
    }
    rules.append(el("li", {}, details));
  }
  box.append(rules);
  return box;
}

// Put the caret of a textarea at line:column (1-based) and scroll it into view.
function moveTo(area, line, column) {
  const lines = area.value.split("\n");
  let offset = 0;
  for (let i = 0; i < Math.min(line - 1, lines.length); i++) offset += lines[i].length + 1;
  offset += Math.max(0, (column || 1) - 1);
  area.focus();
  area.setSelectionRange(offset, Math.min(offset + 1, area.value.length));
  const lineHeight = parseFloat(getComputedStyle(area).lineHeight) || 18;
  area.scrollTop = Math.max(0, (line - 3) * lineHeight);
}

async function loadExamples() {
  const response = await fetch("/v1/examples");
  const examples = await response.json();
  const select = $("example");
  for (const ex of examples) select.append(el("option", {value: ex.name, text: `${ex.name} — ${ex.title}`}));
  select.addEventListener("change", () => {
    const ex = examples.find((e) => e.name === select.value);
    if (ex) { $("doc").value = ex.text; check(); }
  });
}

async function loadPolicy() {
  const response = await fetch("/v1/policy");
  const p = await response.json();
  $("policy").textContent = `${t("policy")}: ${p.name} (${p.digest.slice(0, 19)}…)`;
}

// ---- the playground (only with `espolicy serve --playground`)
async function startPlayground() {
  $("playground").hidden = false;
  const response = await fetch("/v1/playground/rules");
  const {files} = await response.json();
  const select = $("rule-file");
  for (const f of files) { ruleTexts[f.name] = f.text; select.append(el("option", {value: f.name, text: f.name})); }
  $("rules").value = files.length ? files[0].text : "";
  let current = files.length ? files[0].name : null;
  select.addEventListener("change", () => {
    if (current) ruleTexts[current] = $("rules").value;
    current = select.value;
    $("rules").value = ruleTexts[current];
  });
  $("rules").addEventListener("input", () => { if (current) ruleTexts[current] = $("rules").value; });
  $("run-rules").addEventListener("click", runPlayground);
}

async function runPlayground() {
  $("pg-status").textContent = t("running");
  $("run-rules").disabled = true;
  try {
    const files = Object.entries(ruleTexts).map(([name, text]) => ({name, text}));
    const response = await fetch("/v1/playground/run", {
      method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({files, document: $("doc").value}),
    });
    lastPlayground = await response.json();
    renderPlayground(lastPlayground);
    $("pg-status").textContent = t("checked");
  } catch (e) {
    $("pg-status").textContent = t("network") + ": " + e;
  } finally {
    $("run-rules").disabled = false;
  }
}

function renderPlayground(out) {
  const list = $("diagnostics");
  list.replaceChildren();
  if (out.error) list.append(el("li", {class: "severity-error", text: `${out.error.message} — ${out.error.help}`}));
  const diags = out.diagnostics || [];
  if (!diags.length && !out.error) list.append(el("li", {text: t("noDiagnostics")}));
  for (const d of diags) {
    const where = d.file ? `${d.file}:${d.line}:${d.column}` : "";
    const button = el("button", {type: "button", class: "link", text: `${where} ${d.severity}[${d.code}]: ${d.message}`});
    button.addEventListener("click", () => {
      if (d.file && ruleTexts[d.file] !== undefined) {
        $("rule-file").value = d.file;
        $("rule-file").dispatchEvent(new Event("change"));
        moveTo($("rules"), d.line, d.column);
      }
    });
    const item = el("li", {class: `severity-${d.severity}`}, button);
    if (d.hint) item.append(el("p", {class: "help", text: "hint: " + d.hint}));
    list.append(item);
  }
  setOutcome($("pg-outcome"), out.result ? out.result.outcome : null);
  renderFindings($("pg-findings"), out.result ? out.result.findings : [], {});
}

document.addEventListener("DOMContentLoaded", () => {
  $("form").addEventListener("submit", (e) => { e.preventDefault(); check(); });
  $("doc").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); check(); }
  });
  $("file").addEventListener("change", async () => {
    const file = $("file").files[0];
    if (file) { $("doc").value = await file.text(); check(); }
  });
  for (const radio of document.querySelectorAll("input[name=lang]")) {
    radio.addEventListener("change", () => { if (radio.checked) { lang = radio.value; applyWords(); } });
  }
  loadPolicy();
  loadExamples();
  if (document.body.dataset.playground === "true") startPlayground();
});
