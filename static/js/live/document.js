/**
 * The mission draft, clause by clause (docs/protocol.md §16): the version line (final,
 * reopened, sign-offs), each clause with its text, who is editing it, the editor (with the
 * merge and conflict handling of a save), consent per clause (stale answers shown with what
 * changed) and its duels, then the length budget and value coverage. Every clause keeps its
 * node from version to version by its stable key and only the parts whose data changed are
 * redrawn, so an open editor, a half-typed objection or a duel choice survive every event;
 * a clause removed while someone types in it stays on their screen with their words.
 */
import { $, T, announce, isFacilitator, isParticipant, valueName } from "./page.js";
import { decimal, diffNodes, el, fill, fmt, needsRedraw, nextSerial, setHTML, setText, syncChildren, withoutHeading } from "./dom.js";
import { closedReason, inputOpen } from "./clock.js";
import { currentRound, documentFinal, taskRound } from "./state.js";
import { clauseTitle } from "./names.js";
import { closedText, suggestingNow, taskOf } from "./task.js";

/** ``ctx``: {command, emitNow, getState, render, dispatch, duels, amendments}. */
export function createDocument({ command, emitNow, getState, render, dispatch, duels, amendments }) {
  const node = $("#document");
  if (!node) return { update() {}, afterSnapshot() {} };
  const clauseViews = new Map(); // clause key -> view
  let editingKey = null; // the clause this screen has open (one at a time, as the server records it)
  const meta = el("div", { class: "document-meta" });
  const list = el("div", { class: "clauses" });
  const signoffs = el("div", { class: "document-signoffs" });
  node.replaceChildren(meta, list, signoffs);

  function canEditClauses(state) {
    if (documentFinal(state)) return false;
    if (isFacilitator) return true;
    if (!isParticipant) return false;
    const round = currentRound(state);
    return !!round && round.kind === "refine" && inputOpen(round);
  }

  /** Tell everyone which clause this screen has open (or none); not queued while offline:
   * the next snapshot says it again. */
  const markEditing = (key) => emitNow("clause.editing", { clause_key: key });

  // -- a clause --------------------------------------------------------------------------------
  function buildClause(key) {
    const id = `clause-${key}`;
    const view = { key, editor: null, clause: null };
    view.heading = el("h3", { id: `${id}-heading`, class: "clause-heading" });
    view.text = el("div", { class: "clause-text document-body" });
    view.editors = el("p", { class: "clause-editors", "aria-live": "polite" });
    view.tools = el("div", { class: "clause-tools" });
    view.toolsError = el("p", { class: "error", role: "alert" });
    view.editBox = el("div", { class: "clause-edit" });
    view.consent = el("div", { class: "clause-consent" });
    view.duels = el("div", { class: "clause-duels" });
    if (isFacilitator || isParticipant) {
      view.editButton = el("button", { type: "button", class: "small", text: T.edit_clause,
        "aria-describedby": view.heading.id, onclick: () => openEditor(view) });
      view.tools.append(view.editButton);
    }
    if (isParticipant && amendments.canSuggest) {
      view.suggestButton = el("button", { type: "button", class: "small", text: T.suggest_here,
        "aria-describedby": view.heading.id, onclick: () => amendments.suggestIn(view.clause) });
      view.tools.append(view.suggestButton);
    }
    buildConsent(view);
    view.duelStart = isFacilitator ? duels.buildStart(view) : null;
    view.node = el("article", { class: "clause", "data-clause-key": String(key), "aria-labelledby": view.heading.id },
      view.heading, view.text, view.editors, view.tools, view.toolsError, view.editBox,
      view.consent, view.duels, view.duelStart);
    return view;
  }

  function updateClause(view, clause, index, state) {
    view.clause = clause;
    view.version = state.document.number; // the version this clause's words (and offsets) are in
    if (view.followDuelWording) view.followDuelWording();
    view.removed = false;
    view.node.classList.remove("removed");
    setText(view.heading, clauseTitle(clause, index));
    view.heading.classList.toggle("visually-hidden", !clause.heading);
    if (needsRedraw(view.text, clause.html)) {
      if (clause.body) view.text.innerHTML = clause.html; // sanitised on the server
      else fill(view.text, el("p", { class: "empty", text: T.clause_empty }));
    }
    // Who else has this clause open (my own entry is the editor on my screen).
    // null: someone this screen may not know, named in its own language.
    const names = ((state.editors || {})[String(clause.key)] || []).map((name) => name ?? T.someone);
    if (editingKey === clause.key) {
      const own = names.indexOf((state.viewer && state.viewer.name) || "");
      const mine = own !== -1 ? own : names.indexOf(T.someone);
      if (mine !== -1) names.splice(mine, 1);
    }
    setText(view.editors, names.length
      ? fmt(names.length === 1 ? T.clause_editing.one : T.clause_editing.other, { names: names.join(", ") }) : "");
    if (view.editButton) view.editButton.hidden = !canEditClauses(state) || !!view.editor;
    if (view.suggestButton) {
      view.suggestButton.hidden = !clause.body || documentFinal(state) || state.workshop.phase === "closed"
        || !suggestingNow(state);
    }
    if (view.editor) updateEditorNotes(view, state);
    updateConsent(view, clause, state);
    duels.updateClause(view.duels, clause, state);
    if (view.duelStart) {
      view.duelStart.hidden = !clause.body || documentFinal(state)
        || (state.duels || []).some((d) => d.clause_key === clause.key && d.status === "open");
    }
  }

  function markRemoved(view) {
    view.removed = true;
    view.node.classList.add("removed");
    if (view.editor) setText(view.editor.changedNote, T.clause_removed);
    if (view.editButton) view.editButton.hidden = true;
  }

  // -- editing a clause --------------------------------------------------------------------------
  async function openEditor(view) {
    const state = getState();
    if (editingKey !== null && editingKey !== view.key) {
      view.toolsError.textContent = T.one_editor;
      const other = clauseViews.get(editingKey);
      if (other && other.editor) other.editor.textarea.focus();
      return;
    }
    if (view.editor || !state.document) return;
    view.toolsError.textContent = "";
    const clause = view.clause;
    const title = view.heading.textContent;
    const id = `clause-${view.key}-body-${nextSerial()}`;
    const textarea = el("textarea", { id, rows: String(Math.min(12, Math.max(3, Math.ceil(clause.body.length / 70) + 1))),
      maxlength: "4000" });
    textarea.value = clause.body;
    const editor = {
      basedOn: state.document.number, original: clause.body, textarea,
      conflict: el("div", { class: "conflict-box", hidden: true }),
      changedNote: el("p", { class: "hint", "aria-live": "polite" }),
      basedNote: el("p", { class: "hint", text: fmt(T.editing_from, { number: state.document.number }) }),
      error: el("p", { class: "error", role: "alert" }),
      save: el("button", { type: "submit", class: "primary", text: T.save_clause, "aria-describedby": `${id}-why` }),
      // Why Save is closed, in words next to it (empty while it is open).
      why: el("p", { class: "save-why", id: `${id}-why`, role: "status" }),
    };
    editor.form = el("form", { class: "clause-editor", "aria-label": fmt(T.editing_clause, { clause: title }) },
      editor.conflict,
      el("label", { for: id, text: fmt(T.your_text, { clause: title }) }),
      editor.basedNote,
      textarea, editor.changedNote, editor.error,
      el("div", { class: "button-row" }, editor.save,
        el("button", { type: "button", text: T.cancel, onclick: () => closeEditor(view, true) }), editor.why));
    editor.form.addEventListener("submit", (event) => { event.preventDefault(); saveClause(view); });
    textarea.addEventListener("keydown", (event) => {
      if (event.key === "Escape") { event.preventDefault(); closeEditor(view, true); }
    });
    view.editor = editor;
    editingKey = view.key;
    view.editBox.replaceChildren(editor.form);
    render();
    textarea.focus();
    const ack = await markEditing(view.key);
    if (!ack.ok && view.editor === editor) editor.error.textContent = ack.error.message;
  }

  /** Why this screen cannot save a clause now, in words ("" when it can). */
  function saveClosedText(state) {
    if (canEditClauses(state)) return "";
    if (documentFinal(state)) return isFacilitator ? T.save_locked_staff : T.save_locked;
    const task = taskOf(state);
    return (task.kind === "refine" && closedText("refine", task.reason)) || T.save_no_refine;
  }

  function updateEditorNotes(view, state) {
    const editor = view.editor;
    // The words stay in the editor when editing closes; Save says why it is closed.
    const why = saveClosedText(state);
    editor.save.disabled = !!why;
    setText(editor.why, why);
    if (view.removed) return;
    if (editor.sent != null && sameWords(view.clause.body, editor.sent)) {
      // A save whose answer was lost with the connection: the clause holds what this editor
      // sent, so it landed (nobody else changed it). It is the text the editor is now on.
      editor.sent = null;
      editor.original = view.clause.body;
      editor.basedOn = state.document.number;
      editor.error.textContent = fmt(T.clause_saved, { number: state.document.number });
    }
    setText(editor.changedNote, view.clause.body !== editor.original
      ? fmt(T.clause_changed_meanwhile, { number: state.document.number }) : "");
  }

  /** Two texts with the same words (the server trims what it stores). */
  const sameWords = (a, b) => a.split(/\s+/).join(" ").trim() === b.split(/\s+/).join(" ").trim();

  function closeEditor(view, ask) {
    const editor = view.editor;
    if (!editor) return;
    if (ask && editor.textarea.value !== editor.original && !window.confirm(T.discard_edit)) return;
    view.editor = null;
    if (editingKey === view.key) editingKey = null;
    view.editBox.replaceChildren();
    markEditing(null);
    if (view.removed) {
      view.node.remove();
      clauseViews.delete(view.key);
      return;
    }
    render();
    if (view.editButton && !view.editButton.hidden) view.editButton.focus();
  }

  async function saveClause(view) {
    const editor = view.editor;
    editor.save.disabled = true;
    const ack = await command("clause.save", { clause_key: view.key, body: editor.textarea.value,
      based_on: editor.basedOn });
    editor.save.disabled = !!saveClosedText(getState());
    if (view.editor !== editor) return;
    if (ack.ok) {
      closeEditor(view, false);
      announce(fmt(T.clause_saved, { number: ack.version }));
    } else if (ack.error.code === "unchanged") {
      closeEditor(view, false);
      announce(T.clause_unchanged);
    } else if (ack.error.code === "conflict" && ack.error.details) {
      showConflict(view, ack.error);
    } else {
      // Unconfirmed: it may have landed; the next draw of the clause tells (updateEditorNotes).
      editor.sent = ack.error.code === "unconfirmed" ? editor.textarea.value : null;
      editor.error.textContent = ack.error.message;
      render();
    }
  }

  /** Someone changed the same words: show their text next to mine (kept as typed) and rebase. */
  function showConflict(view, error) {
    const editor = view.editor;
    const details = error.details;
    editor.basedOn = details.latest_number;
    editor.original = details.latest_body;
    setText(editor.basedNote, fmt(T.editing_from, { number: details.latest_number }));
    const theirsId = `${editor.textarea.id}-theirs`;
    const theirs = el("textarea", { id: theirsId, class: "their-text", readonly: true,
      rows: String(Math.min(12, Math.max(2, Math.ceil(details.latest_body.length / 70) + 1))) });
    theirs.value = details.latest_body;
    fill(editor.conflict,
      el("p", { class: "error conflict-message", role: "alert", text: error.message }),
      el("label", { for: theirsId, text: fmt(T.conflict_theirs, { number: details.latest_number }) }),
      theirs,
      el("p", { class: "hint", text: T.conflict_help }));
    editor.conflict.hidden = false;
    editor.form.classList.add("conflict");
    editor.error.textContent = "";
    setText(editor.changedNote, "");
    editor.textarea.focus();
  }

  // -- consent on a clause -------------------------------------------------------------------------
  /** Why answers on clauses are closed now, in words ("" while they are open): a consent round
   * closes them like its own input while it is paused, once its time is up, and once it has
   * ended with no round after it; beside the other rounds they stay open (the server's rule,
   * workshop/services/consent.py). */
  function consentClosedText(state) {
    const round = taskRound(state);
    return round && round.kind === "consent" ? closedText("consent", closedReason(round)) : "";
  }

  function buildConsent(view) {
    const id = `clause-${view.key}-consent`;
    const c = {
      title: el("h4", { id: `${id}-title`, class: "consent-title",
        text: isParticipant ? T.clause_consent_mine : T.clause_consent }),
      counts: el("p", { class: "meta consent-counts" }),
      objections: el("div", { class: "clause-objections" }),
      stale: el("div", { class: "stale-notice", role: "status", hidden: true }),
      mine: el("p", { class: "my-answer" }),
    };
    // A participant's answer is the task: their buttons come before what the room answered
    // (after three objections they started 1,000 px down a phone's screen).
    if (!isParticipant) view.consent.append(c.title, c.stale, c.counts, c.objections);
    if (isParticipant) {
      c.buttons = {};
      const group = el("div", { class: "consent-buttons", role: "group", "aria-labelledby": c.title.id });
      // Why the buttons are closed, in words next to them (empty while they are open).
      c.why = el("p", { class: "consent-why", id: `${id}-why` });
      for (const choice of ["agree", "live_with", "object"]) {
        c.buttons[choice] = el("button", { type: "button", class: "small", text: T[`consent_${choice}`],
          "aria-pressed": "false", "aria-describedby": c.why.id,
          onclick: () => (choice === "object" ? openObjection(view) : sendConsent(view, choice, "")) });
        group.append(c.buttons[choice]);
      }
      group.append(c.why);
      const reasonId = `${id}-reason`;
      c.reason = el("textarea", { id: reasonId, rows: "2", maxlength: "500" });
      c.error = el("p", { class: "error", role: "alert" });
      c.reasonForm = el("form", { class: "objection-form", hidden: true },
        el("label", { for: reasonId, text: T.object_reason }), c.reason,
        el("div", { class: "button-row" },
          c.send = el("button", { type: "submit", class: "small primary", text: T.objection_send,
            "aria-describedby": c.why.id }),
          el("button", { type: "button", class: "small", text: T.cancel, onclick: () => {
            c.reasonForm.hidden = true;
            c.buttons.object.focus();
          } })));
      c.reasonForm.addEventListener("submit", (event) => {
        event.preventDefault();
        if (!c.reason.value.trim()) { c.error.textContent = T.objection_needed; c.reason.focus(); return; }
        sendConsent(view, "object", c.reason.value);
      });
      c.group = group;
      view.consent.append(c.title, c.stale, c.mine, group, c.reasonForm, c.error, c.counts,
        c.objections);
    }
    view.consentParts = c;
  }

  function openObjection(view) {
    const c = view.consentParts;
    const mine = (getState().my_clause_votes || {})[String(view.key)];
    if (!c.reason.value && mine && mine.choice === "object") c.reason.value = mine.reason || "";
    c.reasonForm.hidden = false;
    c.reason.focus();
  }

  async function sendConsent(view, choice, reason) {
    const c = view.consentParts;
    const ack = await command("clause.vote", { clause_key: view.key, choice, reason });
    if (ack.ok) {
      c.error.textContent = "";
      if (choice === "object") c.reasonForm.hidden = true;
      announce(T.answer_saved);
      dispatch("clause.mine", { clause_key: ack.clause_key, vote: ack.vote });
      c.buttons[choice].focus();
    } else {
      c.error.textContent = ack.error.message;
    }
  }

  function updateConsent(view, clause, state) {
    const c = view.consentParts;
    const counts = ((state.wording && state.wording.consent) || {})[String(clause.key)]
      || { agree: 0, live_with: 0, object: 0, stale: 0, objections: [] };
    setText(c.counts, fmt(T.clause_counts, counts));
    if (needsRedraw(c.objections, counts.objections)) {
      fill(c.objections, counts.objections.length ? el("p", { class: "meta", text: T.objections }) : null,
        counts.objections.length ? el("ul", { class: "meta" }, ...counts.objections.map((r) => el("li", { text: r }))) : null);
    }
    if (!isParticipant) return;
    const mine = (state.my_clause_votes || {})[String(clause.key)] || null;
    const stale = !!(mine && mine.stale);
    if (needsRedraw(c.stale, stale ? mine : null)) {
      fill(c.stale, ...(stale ? [
        el("p", {}, el("strong", { text: T.stale_title })),
        el("p", { text: fmt(T.stale_detail, { choice: T[`consent_${mine.choice}`], n: mine.version_number }) }),
        el("p", { class: "diff" }, ...diffNodes(withoutHeading(mine.diff))),
        el("p", { text: T.stale_confirm }),
      ] : []));
    }
    c.stale.hidden = !stale;
    view.node.classList.toggle("stale", stale);
    // Once final, no answer is asked for: only one given is shown.
    setText(c.mine, mine && !stale ? fmt(T.your_answer, { choice: T[`consent_${mine.choice}`] })
      : (stale || documentFinal(state) ? "" : T.not_answered));
    for (const [choice, button] of Object.entries(c.buttons)) {
      button.setAttribute("aria-pressed", String(!!mine && !stale && mine.choice === choice));
    }
    const closed = state.workshop.phase === "closed" || documentFinal(state);
    setText(c.title, closed ? T.clause_consent : T.clause_consent_mine);
    c.group.hidden = closed;
    if (closed) c.reasonForm.hidden = true;
    // Paused, time up or ended: the buttons stay in view, disabled, with the reason; a
    // half-typed objection stays in its box for when the round opens again.
    const why = closed ? "" : consentClosedText(state);
    for (const button of [...Object.values(c.buttons), c.send]) {
      if (button.disabled !== !!why) button.disabled = !!why;
    }
    setText(c.why, why);
  }

  // -- the version line and the whole draft ------------------------------------------------------------
  function updateMeta(state) {
    const d = state.document;
    if (!needsRedraw(meta, d && [d.final, d.source, d.number, d.name, d.author, d.note])) return;
    if (!d) {
      fill(meta, el("p", { class: "empty", text: T.no_draft }));
      return;
    }
    fill(meta,
      d.final ? el("p", { class: "final-badge", text: T.final_version }) : null,
      d.final ? el("p", { class: "meta", text: isFacilitator ? T.final_locked_staff : T.final_locked }) : null,
      !d.final && d.source === "reopen" ? el("p", { class: "notice", role: "status", text: fmt(T.reopened, { n: d.number - 1 }) }) : null,
      el("p", { class: "meta", text:
        fmt(T.version, { number: d.number }) + (d.name ? ` · ${d.name}` : "") + " · " +
        fmt(T.by, { name: d.author ?? T.a_participant }) + (d.note ? " · " + d.note : "") }));
  }

  function updateSignoffs(state) {
    const items = (state.document && state.document.signoffs) || [];
    if (!needsRedraw(signoffs, items)) return;
    fill(signoffs, items.length ? el("ul", { class: "signoffs" }, ...items.map((s) =>
      el("li", { text: fmt(T.signed_off, { name: s.name }) + (s.comment ? ` — “${s.comment}”` : "") }))) : null);
  }

  function updateClauses(state) {
    const d = state.document;
    const clauses = (d && d.clauses) || [];
    if (!d) {
      list.replaceChildren();
      return;
    }
    if (!clauses.length) {
      if (!list._body) list._body = el("div", { class: "document-body" });
      setHTML(list._body, d.html);
      syncChildren(list, [list._body]);
      return;
    }
    const wanted = [];
    clauses.forEach((clause, index) => {
      let view = clauseViews.get(clause.key);
      if (!view) {
        view = buildClause(clause.key);
        clauseViews.set(clause.key, view);
      }
      updateClause(view, clause, index, state);
      wanted.push(view.node);
    });
    const present = new Set(clauses.map((c) => c.key));
    for (const [key, view] of clauseViews) {
      if (present.has(key)) continue;
      if (view.editor) { // removed while someone typed in it: keep their words on screen
        markRemoved(view);
        wanted.push(view.node);
      } else {
        clauseViews.delete(key);
      }
    }
    syncChildren(list, wanted);
  }

  // -- length budget and value coverage ------------------------------------------------------------
  const coverage = $("#coverage");

  function budgetBlock(budget) {
    if (!budget) return null;
    const total = budget.total.limit
      ? fmt(T.budget_limit, { words: budget.total.words, limit: budget.total.limit })
      : fmt(T.budget_total, { words: budget.total.words });
    const over = budget.clauses.filter((c) => c.over).map((c) => fmt(T.budget_clause,
      { n: c.index, start: c.start, words: c.words, limit: c.limit }));
    if (budget.total.over) over.unshift(total);
    return el("div", { class: "budget-line" + (over.length ? " over" : "") },
      el("p", { class: "meta", text: `${total} · ${fmt(T.sentence_length, { n: decimal(budget.average_sentence_words, 1) })}` }),
      over.length ? el("p", { class: "error", role: "status", text: fmt(T.budget_over, { what: over.join("; ") }) }) : null);
  }

  function updateCoverage(state) {
    const wording = state.document ? state.wording : null;
    if (!coverage || !needsRedraw(coverage, wording && [wording.budget, wording.coverage, wording.words])) return;
    if (!wording) {
      coverage.replaceChildren();
      return;
    }
    const words = wording.words;
    if (!wording.coverage.shared.length && !words.approved_used.length && !words.approved_missing.length
        && !words.vetoed_used.length) {
      fill(coverage, budgetBlock(wording.budget));
      return;
    }
    const list = (title, items, cls) => items.length
      ? el("div", { class: `coverage-list ${cls}` }, el("h4", { text: title }),
        el("ul", {}, ...items.map((text) => el("li", { text }))))
      : null;
    const named = (values) => values.map((v) => valueName(v.key, v.name));
    fill(coverage, budgetBlock(wording.budget), el("section", { class: "coverage" },
      el("h3", { text: T.coverage_title }),
      list(T.coverage_expressed, named(wording.coverage.expressed), "ok"),
      list(T.coverage_missing, named(wording.coverage.missing), "missing"),
      list(T.words_approved_used, words.approved_used, "ok"),
      list(T.words_approved_missing, words.approved_missing, "missing"),
      list(T.words_vetoed_used, words.vetoed_used, "vetoed")));
  }

  return {
    update(state) {
      // Participants see the draft in the draft phase, and whenever a wording duel is open.
      const card = node.closest("[data-when]");
      if (card && (state.duels || []).some((d) => d.status === "open")) card.hidden = false;
      updateMeta(state);
      updateSignoffs(state);
      updateClauses(state);
      updateCoverage(state);
    },
    /** The server forgets "X is editing" when a socket closes: say it again after a reconnect. */
    afterSnapshot() {
      if (editingKey !== null) markEditing(editingKey);
    },
  };
}
