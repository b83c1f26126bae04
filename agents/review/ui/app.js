// The review page. Every value from the server is task data and untrusted: it reaches the page only through
// textContent, element properties and dataset, never as markup.
"use strict";

// picked: low-risk items chosen for bulk approval, id → the suggestion they would approve.
const state = { csrf: null, reviewer: null, items: [], selected: -1, view: null, busy: false, page: 1, pages: 1, confirming: null, picked: new Map() };
const $ = (id) => document.getElementById(id);
const narrow = window.matchMedia("(max-width: 760px)");

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

// Times are shown in the reviewer's own time zone; the ISO value stays in the element for precision.
function timeEl(iso) {
  const t = el("time", new Date(iso).toLocaleString());
  t.dateTime = iso;
  t.title = iso;
  return t;
}

const units = [["day", 86_400_000], ["hour", 3_600_000], ["minute", 60_000]];
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto", style: "short" });
function fromNow(iso) {
  const ms = Date.parse(iso) - Date.now();
  for (const [unit, size] of units) if (Math.abs(ms) >= size || unit === "minute") return relative.format(Math.round(ms / size), unit);
}

/** "due in 12 min" or "overdue, 3 hr ago", with the class that colours it. */
function slaText(dueAt) {
  const ms = Date.parse(dueAt) - Date.now();
  if (ms <= 0) return { text: "overdue (due " + fromNow(dueAt) + ")", className: "overdue" };
  return { text: "due " + fromNow(dueAt), className: ms <= 15 * 60_000 ? "due-soon" : "" };
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
  state.view = null;
  $("detail").hidden = true;
  show(false);
}

function queryString() {
  const params = new URLSearchParams();
  for (const name of ["q", "flow", "reason", "sla", "assignee"]) {
    const value = $("filters").elements[name].value;
    if (value) params.set(name, value);
  }
  params.set("page", String(state.page));
  return params.toString();
}

function fillFacet(select, values) {
  const keep = select.value;
  const fixed = [...select.options].filter((o) => o.dataset.facet !== "1");
  const extra = values.filter((v) => !fixed.some((o) => o.value === v)).map((v) => Object.assign(el("option", v), { value: v }));
  extra.forEach((o) => (o.dataset.facet = "1"));
  select.replaceChildren(...fixed, ...extra);
  select.value = keep;
}

async function loadQueue(keepId) {
  const page = await api("GET", "/api/queue?" + queryString());
  state.items = page.items;
  state.page = page.page;
  state.pages = page.pages;
  fillFacet($("f-flow"), page.facets.flows);
  fillFacet($("f-reason"), page.facets.reasons);
  fillFacet($("f-assignee"), page.facets.assignees);
  const list = $("queue");
  list.replaceChildren();
  page.items.forEach((item, i) => {
    const li = el("li");
    li.dataset.id = item.id;
    const row = el("button", undefined, "row" + (item.requiresApproval ? " approval" : ""));
    row.type = "button";
    const held = item.requiresApproval ? "needs " + item.approversNeeded + " approver" + (item.approversNeeded > 1 ? "s" : "") + (item.approvals ? " (" + item.approvals + " so far)" : "") + " · " : "";
    const head = el("span", held + item.code + " · " + item.flow, "meta");
    const preview = el("span", item.preview, "preview");
    const sla = slaText(item.dueAt);
    const due = el("span", sla.text, sla.className);
    const guess = el("span", (item.prediction ? item.prediction + " " + pct(item.confidence) : "no suggestion") + (item.claimedBy ? " · claimed by " + item.claimedBy : "") + " · ", "meta");
    guess.append(due);
    row.append(head, preview, guess);
    row.addEventListener("click", () => select(i, true).catch((err) => setStatus(err.message, true)));
    li.append(row);
    if (item.bulkApprovable) {
      const pick = el("input", undefined, "pick");
      pick.type = "checkbox";
      pick.checked = state.picked.has(item.id);
      pick.setAttribute("aria-label", "Select " + item.id + " (" + item.prediction + ") for bulk approval");
      pick.addEventListener("change", () => togglePick(item, pick.checked));
      li.append(pick);
    }
    list.append(li);
  });
  // A pick stays only while its item is on the page and still low-risk.
  for (const id of [...state.picked.keys()]) if (!page.items.some((x) => x.id === id && x.bulkApprovable)) state.picked.delete(id);
  renderBulk();
  $("queue-count").textContent = "(" + page.total + ")";
  $("queue-empty").hidden = page.items.length > 0;
  $("page-info").textContent = "page " + page.page + " of " + page.pages;
  $("prev-page").disabled = page.page <= 1;
  $("next-page").disabled = page.page >= page.pages;
  const at = keepId ? page.items.findIndex((x) => x.id === keepId) : -1;
  if (page.items.length === 0) {
    state.selected = -1;
    state.view = null;
    $("detail").hidden = true;
  } else await select(at >= 0 ? at : Math.min(Math.max(state.selected, 0), page.items.length - 1), false);
}

async function select(i, chosen) {
  if (i < 0 || i >= state.items.length) return;
  state.selected = i;
  for (const li of $("queue").children) li.querySelector(".row").classList.toggle("selected", li.dataset.id === state.items[i].id);
  $("queue").children[i].scrollIntoView({ block: "nearest" });
  const id = state.items[i].id;
  const v = await api("GET", "/api/items/" + encodeURIComponent(id));
  // Answers can arrive out of order: the item chosen since (a click while the first page's item loads) wins.
  const now = state.items[state.selected];
  if (!now || now.id !== id) return;
  // A refresh that finds the item as shown leaves the pane alone (focus, selection, what is typed, the open menu);
  // only the relative SLA time moves on.
  if (state.view && state.view.id === id && JSON.stringify(v) === JSON.stringify(state.view)) renderDue(v);
  else render(v);
  // On a phone the detail sits below the queue: bring it into view when the reviewer picked an item.
  if (chosen && narrow.matches) $("detail").scrollIntoView({ block: "start" });
}

function fieldInput(f, current) {
  let input;
  if (f.kind === "choice") {
    input = el("select");
    for (const option of f.options) {
      const o = el("option", option);
      o.value = option;
      o.selected = option === current;
      input.append(o);
    }
  } else {
    input = el("input");
    input.type = f.kind === "number" ? "number" : "text";
    if (f.kind === "number") {
      input.step = "0.01";
      input.min = String(f.min);
    } else input.maxLength = f.maxLength;
    input.value = current === undefined || current === null ? "" : String(current);
  }
  input.id = "field-" + f.path;
  input.name = f.path;
  input.dataset.kind = f.kind;
  input.dataset.was = current === undefined || current === null ? "" : String(current);
  input.addEventListener("input", renderDiff);
  input.addEventListener("change", renderDiff);
  return input;
}

/** The value a field holds now: the task's own value, or the model's suggestion for a ticket's intent. */
function currentValue(v, f, index) {
  const pending = v.approvals.length ? v.approvals[0].corrections : null;
  if (pending && pending[f.path] !== undefined) return pending[f.path];
  if (v.input && typeof v.input === "object" && v.input[f.path] !== undefined) return v.input[f.path];
  if (v.document && v.document.fields[f.path] !== undefined) return v.document.fields[f.path];
  return index === 0 && v.form.approve.needsSuggestion && v.prediction ? v.prediction.label : undefined;
}

function renderDue(v) {
  const sla = slaText(v.dueAt);
  $("d-due").replaceChildren(el("span", sla.text, sla.className), document.createTextNode(" · "), timeEl(v.dueAt), document.createTextNode(v.breaches ? " (" + v.breaches + " breach" + (v.breaches > 1 ? "es" : "") + ")" : ""));
}

function render(v) {
  const same = state.view && state.view.id === v.id;
  // Another item starts at its top: the pane scrolls on its own, and was left wherever the last decision was made.
  if (!same) $("detail").scrollTop = 0;
  // A refresh of the item on screen keeps what the reviewer is typing (a refused decision refreshes it).
  const typed = same ? { comment: $("comment").value, fields: new Map([...$("fields").querySelectorAll("[id^=field-]")].map((i) => [i.id, i.value])) } : null;
  state.view = v;
  $("detail").hidden = false;
  $("d-id").textContent = v.id;
  $("d-flow").textContent = v.flow;
  $("d-status").textContent = v.status + (v.claim ? " by " + v.claim.reviewer : "") + (v.requiresApproval ? " · needs " + v.approversNeeded + " approver" + (v.approversNeeded > 1 ? "s" : "") : "");
  $("d-requested").replaceChildren(timeEl(v.requestedAt), document.createTextNode(" by " + v.requestedBy));
  renderDue(v);
  $("d-tenant").textContent = v.tenant + " / " + v.region;
  $("d-class").textContent = v.classification;
  $("d-input").textContent = v.input && typeof v.input.text === "string" ? v.input.text : JSON.stringify(v.input, null, 2);
  $("d-code").textContent = v.escalation.code;
  $("d-policy").textContent = "policy revision " + v.escalation.policyRevision;
  $("d-reasons").replaceChildren(...v.escalation.sentences.map((s) => el("li", s)));

  const body = $("d-suggestions").tBodies[0];
  body.replaceChildren();
  for (const s of v.suggestions) {
    const tr = el("tr");
    tr.append(el("td", s.source), el("td", s.label === null ? (s.error ? "error: " + s.error : "—") : s.label), el("td", pct(s.confidence)), el("td", s.version || "—"));
    body.append(tr);
  }
  $("d-suggestions-box").hidden = v.suggestions.length === 0;
  $("d-draft-box").hidden = v.draft === null;
  $("d-draft").textContent = v.draft || "";
  renderDocument(v.id, v.document);
  $("d-details-box").hidden = v.details === null;
  $("d-details").textContent = v.details === null ? "" : JSON.stringify(v.details, null, 2);

  $("approvals-box").hidden = !v.requiresApproval && v.approvals.length === 0;
  $("approvals-summary").textContent = v.approvals.length + " of " + v.approversNeeded + " approvals" + (v.approvals.length ? "; another approver must confirm the same values" : "");
  $("approvals").replaceChildren(...v.approvals.map((a) => {
    const li = el("li", a.reviewer + " " + (a.decision === "correct" ? "corrected " + JSON.stringify(a.corrections) : "approved") + " · ");
    li.append(timeEl(a.at));
    return li;
  }));
  $("history").replaceChildren(...v.history.map((h) => {
    const li = el("li");
    li.append(timeEl(h.at), document.createTextNode(" · " + h.by + " " + h.what.replace("_", " ") + (h.detail ? " (" + h.detail + ")" : "")));
    return li;
  }));
  if (v.history.length === 0) $("history").append(el("li", "nothing yet"));

  const fields = $("fields");
  fields.replaceChildren();
  v.form.fields.forEach((f, i) => {
    const input = fieldInput(f, currentValue(v, f, i));
    const label = el("label", f.label);
    label.htmlFor = input.id;
    if (typed && typed.fields.has(input.id)) input.value = typed.fields.get(input.id);
    if (v.document && v.document.unsure.includes(f.path)) input.classList.add("unsure");
    fields.append(label, input);
  });
  $("correct-form").hidden = v.form.fields.length === 0;
  renderDiff();
  $("approve").textContent = v.approvals.length ? "Approve pending values" : v.form.approve.label;
  $("comment").value = typed ? typed.comment : "";
  $("comment").placeholder = v.form.approve.needsReason ? "required to " + v.form.approve.label.toLowerCase() : "optional";
  const reasons = $("reject-reason");
  reasons.replaceChildren(...v.form.rejectReasons.map((r) => Object.assign(el("option", r.label), { value: r.code })));

  const mine = v.claim && state.reviewer && v.claim.reviewer === state.reviewer.id;
  const allowed = !v.requiresApproval || state.reviewer.roles.includes("approver");
  const open = v.status !== "decided";
  $("claim").disabled = !open || !allowed || Boolean(v.claim);
  $("claim").textContent = mine ? "Claimed by you" : "Claim";
  for (const id of ["approve", "correct", "reject"]) $(id).disabled = !open || !allowed || Boolean(v.claim && !mine);
  const nothingToApprove = v.form.approve.needsSuggestion && !(v.prediction && v.prediction.label) && v.approvals.length === 0;
  $("approve").disabled = $("approve").disabled || nothingToApprove;
  $("assign-form").hidden = !open || !state.reviewer.roles.includes("approver");
  if (!$("assign-form").hidden) loadAssignees(v.id).catch((err) => setStatus(err.message, true));
}

/**
 * An extracted document beside the fields read from it, the unsure ones highlighted: a PDF's page as printed, and
 * always its text (what a screen reader reads, and all there is of an XML or plain-text document).
 */
function renderDocument(id, doc) {
  $("d-document-box").hidden = doc === null;
  const isPdf = doc !== null && doc.contentType === "application/pdf";
  $("d-doc-page-box").hidden = !isPdf;
  if (!isPdf) pdfView.close();
  else if (pdfView.id !== id) pdfView.open(id).catch((err) => setStatus("document page: " + err.message, true));
  if (doc === null) return;
  $("d-doc-text").textContent = doc.text.join("\n");
  $("d-doc-fields").tBodies[0].replaceChildren(...Object.keys(doc.confidence).concat(doc.unsure.filter((f) => !(f in doc.confidence))).map((f) => {
    const value = doc.fields[f];
    const tr = el("tr", undefined, doc.unsure.includes(f) ? "unsure" : undefined);
    tr.dataset.field = f;
    tr.append(el("td", f), el("td", value === undefined ? "—" : Array.isArray(value) ? value.length + " line(s)" : String(value)), el("td", pct(doc.confidence[f] ?? null)));
    return tr;
  }));
}

/** pdf.js, loaded the first time a PDF is shown (it is large and most flows have no documents). */
let pdfjs = null;
function loadPdfjs() {
  pdfjs = pdfjs || import("/ui/pdf.min.mjs").then((lib) => {
    lib.GlobalWorkerOptions.workerSrc = "/ui/pdf.worker.min.mjs";
    return lib;
  });
  return pdfjs;
}

/** The open item's PDF, one page at a time on the canvas; a later item's document replaces an earlier one still loading. */
const pdfView = {
  id: null,
  doc: null,
  page: 1,
  rendering: null,
  async open(id) {
    this.close();
    this.id = id;
    const res = await fetch("/api/items/" + encodeURIComponent(id) + "/document", { credentials: "same-origin" });
    if (!res.ok) throw new Error((await res.json().catch(() => ({ error: { message: res.statusText } }))).error.message);
    const data = new Uint8Array(await res.arrayBuffer());
    const lib = await loadPdfjs();
    const doc = await lib.getDocument({ data, isEvalSupported: false }).promise;
    if (this.id !== id) return doc.destroy();
    this.doc = doc;
    await this.show(1);
  },
  async show(n) {
    const doc = this.doc;
    if (!doc || n < 1 || n > doc.numPages) return;
    this.page = n;
    const page = await doc.getPage(n);
    const canvas = $("d-doc-page");
    // Sharp on this screen: as many canvas pixels as the column shows, times the device's pixel ratio.
    const width = canvas.parentElement.clientWidth || 600;
    const viewport = page.getViewport({ scale: (width / page.getViewport({ scale: 1 }).width) * (window.devicePixelRatio || 1) });
    canvas.width = Math.floor(viewport.width);
    canvas.height = Math.floor(viewport.height);
    if (this.rendering) this.rendering.cancel();
    const rendering = (this.rendering = page.render({ canvasContext: canvas.getContext("2d"), viewport }));
    try {
      await rendering.promise;
    } catch (err) {
      // Another page or document took the canvas: that one is shown, this one no longer matters.
      if (this.rendering !== rendering || this.doc !== doc) return;
      throw err;
    }
    if (this.rendering === rendering) this.rendering = null;
    if (this.doc !== doc) return;
    $("d-doc-page-no").textContent = "page " + n + " of " + doc.numPages;
    $("d-doc-prev").disabled = n === 1;
    $("d-doc-next").disabled = n === doc.numPages;
    canvas.dataset.rendered = String(n);
  },
  close() {
    if (this.rendering) this.rendering.cancel();
    this.rendering = null;
    if (this.doc) this.doc.destroy();
    this.doc = null;
    this.id = null;
    const canvas = $("d-doc-page");
    delete canvas.dataset.rendered;
    canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
    $("d-doc-page-no").textContent = "";
  },
};

/** The fields the form would change, against what the task holds now. */
function changes() {
  const out = [];
  for (const input of $("fields").querySelectorAll("select, input")) {
    if (input.value === input.dataset.was || input.value === "") continue;
    out.push({ path: input.name, was: input.dataset.was, value: input.dataset.kind === "number" ? Number(input.value) : input.value });
  }
  return out;
}

function renderDiff() {
  const changed = changes();
  $("diff-box").hidden = changed.length === 0;
  $("diff").tBodies[0].replaceChildren(...changed.map((c) => {
    const tr = el("tr");
    tr.append(el("td", c.path), el("td", c.was || "—", "was"), el("td", String(c.value)));
    return tr;
  }));
}

async function loadAssignees(id) {
  const { reviewers } = await api("GET", "/api/items/" + encodeURIComponent(id) + "/assignees");
  if (!state.view || state.view.id !== id) return;
  $("assignee").replaceChildren(...reviewers.map((r) => Object.assign(el("option", r.id + " (" + r.roles.join(", ") + ")"), { value: r.id })));
}

/** Claims the shown item unless this reviewer holds it already; says whether it claimed it now. */
async function ensureClaim() {
  const v = state.view;
  if (v.claim && v.claim.reviewer === state.reviewer.id) return false;
  render(await api("POST", "/api/items/" + encodeURIComponent(v.id) + "/claim"));
  return true;
}

/** A held (high-risk) approval goes through a confirmation dialog; everything else is sent at once. */
function decide(what, body) {
  const v = state.view;
  if (!v || state.busy) return;
  if (body.decision === "reject" || !v.requiresApproval) return act(what, body);
  const n = v.approvals.length + 1;
  $("confirm-text").textContent =
    "You are approving " + v.flow + " task " + v.id + " (" + v.escalation.code + "). This is approval " + n + " of " + v.approversNeeded + "." +
    (n < v.approversNeeded ? " Another approver must confirm it before the task continues." : " The task continues once you confirm.");
  state.confirming = { what, body: { ...body, confirmed: true } };
  $("confirm").showModal();
  $("confirm-ok").focus();
}

function closeConfirm(ok) {
  const pending = state.confirming;
  state.confirming = null;
  $("confirm").close();
  if (ok && pending) return act(pending.what, pending.body);
  setStatus("Approval not sent");
}

async function act(what, body) {
  if (!state.view || state.busy) return;
  state.busy = true;
  const id = state.view.id;
  let claimedNow = false;
  try {
    claimedNow = await ensureClaim();
    const res = await api("POST", "/api/items/" + encodeURIComponent(id) + "/decision", body);
    $("comment").value = "";
    // Said once the queue shows the outcome, so what the status line says is what the page shows.
    await loadQueue(res.pending ? id : undefined);
    setStatus(res.pending ? "Approval " + res.pending.approvals + " of " + res.pending.needed + " recorded: " + id + " waits for another approver" : what + ": " + id);
  } catch (err) {
    // A claim taken only to send this decision is given back, so a refused decision leaves the item free for others.
    if (claimedNow) await api("POST", "/api/items/" + encodeURIComponent(id) + "/release").catch(() => {});
    // Said once the page is refreshed, as on success: what the status line says is what the reviewer can act on.
    await loadQueue(id).catch(() => {});
    setStatus(what + " failed: " + err.message, true);
  } finally {
    state.busy = false;
  }
}

function togglePick(item, on) {
  if (on) state.picked.set(item.id, item.prediction);
  else state.picked.delete(item.id);
  const box = [...$("queue").children].find((li) => li.dataset.id === item.id);
  if (box && box.querySelector(".pick")) box.querySelector(".pick").checked = on;
  renderBulk();
}

/** Bulk approval takes one suggestion at a time: with mixed picks the button says why it is off. */
function renderBulk() {
  const n = state.picked.size;
  $("bulk").hidden = n === 0;
  if (n === 0) return;
  const values = [...new Set(state.picked.values())];
  const one = values.length === 1;
  $("bulk-text").textContent = one
    ? n + " low-risk task" + (n > 1 ? "s" : "") + " selected, each suggesting " + values[0] + "; each is approved and recorded on its own."
    : "The selected tasks suggest different values (" + values.join(", ") + "): bulk approval takes one suggestion at a time.";
  $("bulk-approve").textContent = one ? "Approve " + n + " as " + values[0] : "Approve selected";
  $("bulk-approve").disabled = !one || state.busy;
}

async function bulkApprove() {
  const values = [...new Set(state.picked.values())];
  if (values.length !== 1 || state.busy) return;
  state.busy = true;
  const ids = [...state.picked.keys()];
  try {
    const res = await api("POST", "/api/bulk/approve", { ids, suggestion: values[0] });
    state.picked.clear();
    await loadQueue();
    const failed = res.results.filter((r) => !r.approved);
    setStatus("Approved " + res.approved + " of " + ids.length + " as " + values[0] + (failed.length ? "; not approved: " + failed.map((r) => r.id + " (" + r.error + ")").join(", ") : ""), failed.length > 0);
  } catch (err) {
    await loadQueue().catch(() => {});
    setStatus("Bulk approval failed: " + err.message, true);
  } finally {
    state.busy = false;
    renderBulk();
  }
}

function corrections() {
  const out = {};
  for (const c of changes()) out[c.path] = c.value;
  return out;
}

function withComment(body) {
  const comment = $("comment").value.trim();
  return comment ? { ...body, comment } : body;
}

function toggleHelp() {
  $("help").hidden = !$("help").hidden;
}

function goToPage(page) {
  if (page < 1 || page > state.pages) return;
  state.page = page;
  state.selected = 0;
  return loadQueue();
}

function onKey(event) {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if ($("confirm").open) return;
  const typing = /^(INPUT|SELECT|TEXTAREA)$/.test(event.target.tagName);
  if (event.key === "Escape") {
    $("help").hidden = true;
    if (typing) event.target.blur();
    return;
  }
  // Enter on a correction field or the reject reason submits that form.
  if (event.key === "Enter" && event.target.tagName === "SELECT") {
    const form = event.target.closest("form");
    if (form && form.id !== "filters") {
      event.preventDefault();
      form.requestSubmit();
    }
    return;
  }
  if (typing || $("workspace").hidden) return;
  const keys = {
    j: () => select(state.selected + 1, true),
    k: () => select(state.selected - 1, true),
    n: () => goToPage(state.page + 1),
    p: () => goToPage(state.page - 1),
    a: () => { if (!$("approve").disabled) return approve(); },
    x: () => { const item = state.items[state.selected]; if (item && item.bulkApprovable) togglePick(item, !state.picked.has(item.id)); },
    c: () => { const first = $("fields").querySelector("select, input"); if (first) first.focus(); },
    r: () => $("reject-reason").focus(),
    "/": () => $("f-q").focus(),
    "?": toggleHelp,
  };
  const run = keys[event.key];
  if (!run) return;
  event.preventDefault();
  Promise.resolve(run()).catch((err) => setStatus(err.message, true));
}

function approve() {
  return decide("Approved", withComment({ decision: "approve" }));
}

let searchTimer = null;
document.addEventListener("DOMContentLoaded", () => {
  $("sign-in-form").addEventListener("submit", signIn);
  $("sign-out").addEventListener("click", signOut);
  $("claim").addEventListener("click", () => ensureClaim().then(() => loadQueue(state.view.id)).catch((err) => setStatus(err.message, true)));
  $("approve").addEventListener("click", approve);
  $("bulk-approve").addEventListener("click", () => bulkApprove());
  $("bulk-clear").addEventListener("click", () => {
    state.picked.clear();
    for (const box of $("queue").querySelectorAll(".pick")) box.checked = false;
    renderBulk();
  });
  $("correct-form").addEventListener("submit", (event) => {
    event.preventDefault();
    decide("Corrected", withComment({ decision: "correct", corrections: corrections() }));
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
    decide("Rejected", withComment({ decision: "reject", reasonCode: $("reject-reason").value }));
  });
  $("confirm-form").addEventListener("submit", (event) => {
    event.preventDefault();
    closeConfirm(true);
  });
  $("confirm-cancel").addEventListener("click", () => closeConfirm(false));
  $("confirm").addEventListener("cancel", (event) => {
    event.preventDefault();
    closeConfirm(false);
  });
  $("filters").addEventListener("submit", (event) => event.preventDefault());
  const refilter = () => {
    state.page = 1;
    state.selected = 0;
    loadQueue().catch((err) => setStatus(err.message, true));
  };
  $("filters").addEventListener("change", refilter);
  $("f-q").addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(refilter, 250);
  });
  $("prev-page").addEventListener("click", () => goToPage(state.page - 1));
  $("next-page").addEventListener("click", () => goToPage(state.page + 1));
  $("d-doc-prev").addEventListener("click", () => pdfView.show(pdfView.page - 1).catch((err) => setStatus(err.message, true)));
  $("d-doc-next").addEventListener("click", () => pdfView.show(pdfView.page + 1).catch((err) => setStatus(err.message, true)));
  document.addEventListener("keydown", onKey);
  start();
});
