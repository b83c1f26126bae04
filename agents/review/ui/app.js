// The review page. Every value from the server is task data and untrusted: it reaches the page only through
// textContent, element properties and dataset, never as markup.
"use strict";

const state = { csrf: null, reviewer: null, items: [], selected: -1, view: null, busy: false };
const $ = (id) => document.getElementById(id);

function setStatus(text, isError) {
  const el = $("status");
  el.textContent = text;
  el.className = isError ? "error" : "";
}

async function api(method, path, body) {
  const headers = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET" && state.csrf) headers["x-csrf-token"] = state.csrf;
  const res = await fetch(path, { method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = new Error((data.error && data.error.message) || res.statusText);
    err.status = res.status;
    throw err;
  }
  return data;
}

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function pct(x) {
  return typeof x === "number" ? (x * 100).toFixed(1) + "%" : "—";
}

function show(signedIn) {
  $("sign-in").hidden = signedIn;
  $("workspace").hidden = !signedIn;
  $("who").hidden = !signedIn;
  $("sign-out").hidden = !signedIn;
  if (signedIn) $("who").textContent = state.reviewer.id + " (" + state.reviewer.roles.join(", ") + ")";
  else $("token").focus();
}

async function start() {
  try {
    const s = await api("GET", "/api/session");
    state.csrf = s.csrfToken;
    state.reviewer = s.reviewer;
    show(true);
    await loadQueue();
  } catch (err) {
    show(false);
    if (err.status === 403) setStatus(err.message, true);
  }
}

async function signIn(event) {
  event.preventDefault();
  try {
    const s = await api("POST", "/api/session", { token: $("token").value });
    $("token").value = "";
    state.csrf = s.csrfToken;
    state.reviewer = s.reviewer;
    show(true);
    await loadQueue();
    setStatus("Signed in as " + s.reviewer.id);
  } catch (err) {
    setStatus("Sign-in failed: " + err.message, true);
  }
}

async function signOut() {
  await api("POST", "/api/session/end").catch(() => {});
  state.csrf = null;
  state.reviewer = null;
  show(false);
}

async function loadQueue(keepId) {
  const { items } = await api("GET", "/api/queue");
  state.items = items;
  const list = $("queue");
  list.replaceChildren();
  items.forEach((item, i) => {
    const li = el("li", undefined, item.requiresApproval ? "approval" : "");
    li.dataset.id = item.id;
    li.tabIndex = 0;
    const head = el("span", (item.requiresApproval ? "needs approval · " : "") + item.code + " · " + item.flow, "meta");
    const preview = el("span", item.preview, "preview");
    const guess = el("span", (item.prediction ? item.prediction + " " + pct(item.confidence) : "no suggestion") + (item.claimedBy ? " · claimed by " + item.claimedBy : ""), "meta");
    li.append(head, preview, guess);
    li.addEventListener("click", () => select(i));
    list.append(li);
  });
  $("queue-count").textContent = "(" + items.length + ")";
  $("queue-empty").hidden = items.length > 0;
  const at = keepId ? items.findIndex((x) => x.id === keepId) : -1;
  if (items.length === 0) {
    state.selected = -1;
    $("detail").hidden = true;
  } else await select(at >= 0 ? at : Math.min(Math.max(state.selected, 0), items.length - 1));
}

async function select(i) {
  if (i < 0 || i >= state.items.length) return;
  state.selected = i;
  for (const li of $("queue").children) li.classList.toggle("selected", li.dataset.id === state.items[i].id);
  $("queue").children[i].scrollIntoView({ block: "nearest" });
  render(await api("GET", "/api/items/" + encodeURIComponent(state.items[i].id)));
}

function render(v) {
  state.view = v;
  $("detail").hidden = false;
  $("d-id").textContent = v.id;
  $("d-flow").textContent = v.flow;
  $("d-status").textContent = v.status + (v.claim ? " by " + v.claim.reviewer : "") + (v.requiresApproval ? " · needs an approver" : "");
  $("d-requested").textContent = v.requestedAt + " by " + v.requestedBy;
  $("d-due").textContent = v.dueAt + (v.breaches ? " (" + v.breaches + " breach" + (v.breaches > 1 ? "es" : "") + ")" : "");
  $("d-tenant").textContent = v.tenant + " / " + v.region;
  $("d-class").textContent = v.classification;
  $("d-input").textContent = v.input && typeof v.input.text === "string" ? v.input.text : JSON.stringify(v.input, null, 2);
  $("d-code").textContent = v.escalation.code;
  $("d-reason").textContent = v.escalation.reason;
  $("d-policy").textContent = "policy revision " + v.escalation.policyRevision;

  const body = $("d-suggestions").tBodies[0];
  body.replaceChildren();
  for (const s of v.suggestions) {
    const tr = el("tr");
    tr.append(el("td", s.source), el("td", s.label === null ? (s.error ? "error: " + s.error : "—") : s.label), el("td", pct(s.confidence)), el("td", s.version || "—"));
    body.append(tr);
  }
  $("d-draft-box").hidden = v.draft === null;
  $("d-draft").textContent = v.draft || "";
  $("d-details-box").hidden = v.details === null;
  $("d-details").textContent = v.details === null ? "" : JSON.stringify(v.details, null, 2);

  const fields = $("fields");
  fields.replaceChildren();
  for (const f of v.fields) {
    const label = el("label", f.label);
    const select = el("select");
    select.id = "field-" + f.path;
    select.name = f.path;
    label.htmlFor = select.id;
    const current = v.prediction && v.prediction.label;
    for (const option of f.options) {
      const o = el("option", option);
      o.value = option;
      o.selected = option === current;
      select.append(o);
    }
    fields.append(label, select);
  }
  $("correct-form").hidden = v.fields.length === 0;
  const reasons = $("reject-reason");
  reasons.replaceChildren(...v.rejectReasons.map((r) => Object.assign(el("option", r), { value: r })));

  const mine = v.claim && state.reviewer && v.claim.reviewer === state.reviewer.id;
  const allowed = !v.requiresApproval || state.reviewer.roles.includes("approver");
  const open = v.status !== "decided";
  $("claim").disabled = !open || !allowed || Boolean(v.claim);
  $("claim").textContent = mine ? "Claimed by you" : "Claim";
  for (const id of ["approve", "correct", "reject"]) $(id).disabled = !open || !allowed || Boolean(v.claim && !mine);
  $("approve").disabled = $("approve").disabled || !(v.prediction && v.prediction.label);
  $("assign-form").hidden = !open || !state.reviewer.roles.includes("approver");
  if (!$("assign-form").hidden) loadAssignees(v.id).catch((err) => setStatus(err.message, true));
}

async function loadAssignees(id) {
  const { reviewers } = await api("GET", "/api/items/" + encodeURIComponent(id) + "/assignees");
  if (!state.view || state.view.id !== id) return;
  $("assignee").replaceChildren(...reviewers.map((r) => Object.assign(el("option", r.id + " (" + r.roles.join(", ") + ")"), { value: r.id })));
}

async function ensureClaim() {
  const v = state.view;
  if (v.claim && v.claim.reviewer === state.reviewer.id) return;
  render(await api("POST", "/api/items/" + encodeURIComponent(v.id) + "/claim"));
}

async function act(what, body) {
  if (!state.view || state.busy) return;
  state.busy = true;
  const id = state.view.id;
  try {
    await ensureClaim();
    await api("POST", "/api/items/" + encodeURIComponent(id) + "/decision", body);
    // Said once the queue shows the outcome, so what the status line says is what the page shows.
    await loadQueue();
    setStatus(what + ": " + id);
  } catch (err) {
    setStatus(what + " failed: " + err.message, true);
    await loadQueue(id).catch(() => {});
  } finally {
    state.busy = false;
  }
}

function corrections() {
  const out = {};
  for (const select of $("fields").querySelectorAll("select")) out[select.name] = select.value;
  return out;
}

function toggleHelp() {
  $("help").hidden = !$("help").hidden;
}

function onKey(event) {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const typing = /^(INPUT|SELECT|TEXTAREA)$/.test(event.target.tagName);
  if (event.key === "Escape") {
    $("help").hidden = true;
    if (typing) event.target.blur();
    return;
  }
  // Enter on a correction field or the reject reason submits that form.
  if (event.key === "Enter" && event.target.tagName === "SELECT") {
    const form = event.target.closest("form");
    if (form) {
      event.preventDefault();
      form.requestSubmit();
    }
    return;
  }
  if (typing || $("workspace").hidden) return;
  const keys = {
    j: () => select(state.selected + 1),
    k: () => select(state.selected - 1),
    a: () => { if (!$("approve").disabled) return act("Approved", { decision: "approve" }); },
    c: () => { const first = $("fields").querySelector("select"); if (first) first.focus(); },
    r: () => $("reject-reason").focus(),
    "?": toggleHelp,
  };
  const run = keys[event.key];
  if (!run) return;
  event.preventDefault();
  Promise.resolve(run()).catch((err) => setStatus(err.message, true));
}

document.addEventListener("DOMContentLoaded", () => {
  $("sign-in-form").addEventListener("submit", signIn);
  $("sign-out").addEventListener("click", signOut);
  $("claim").addEventListener("click", () => ensureClaim().then(() => loadQueue(state.view.id)).catch((err) => setStatus(err.message, true)));
  $("approve").addEventListener("click", () => act("Approved", { decision: "approve" }));
  $("correct-form").addEventListener("submit", (event) => {
    event.preventDefault();
    act("Corrected", { decision: "correct", corrections: corrections() });
  });
  $("assign-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const id = state.view.id;
    api("POST", "/api/items/" + encodeURIComponent(id) + "/assign", { reviewer: $("assignee").value })
      .then(() => setStatus("Assigned " + id + " to " + $("assignee").value))
      .then(() => loadQueue(id))
      .catch((err) => setStatus("Assign failed: " + err.message, true));
  });
  $("reject-form").addEventListener("submit", (event) => {
    event.preventDefault();
    act("Rejected", { decision: "reject", reasonCode: $("reject-reason").value });
  });
  document.addEventListener("keydown", onKey);
  start();
});
