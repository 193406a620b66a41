/**
 * Suggested changes to the draft (docs/protocol.md §15): the list of amendments, open ones
 * first in clause order, each with its inline difference, counts in the words of its method,
 * value tags and, for participants, the answer controls; and the participant's tools to
 * select words in the latest version and suggest new ones. Amendments are reconciled by id,
 * so an answer being given (a score chosen with the arrow keys) keeps its focus while others
 * answer too. An objection's reason and a rejection's note are asked for in a dialog of the
 * page (templates/_amendments.html), never with the browser's prompt().
 */
import { $, T, isFacilitator, isParticipant, announce, notice } from "./page.js";
import { diffNodes, el, fmt, keepFocusNear, keyed, modal, needsRedraw, setAttr, setText, syncChildren } from "./dom.js";
import { documentClauses, documentFinal } from "./state.js";
import { clauseName, clauseOrder, clauseTitle } from "./names.js";
import { suggestingNow } from "./task.js";
import { createValueTags } from "./tags.js";

const AMEND_CHOICES = {
  consent: ["agree", "live_with", "object"],
  approval: ["yes", "no"],
  score: ["1", "2", "3", "4", "5"],
};

/** How an answer reads on screen ("Can live with it", "Yes", "4"). */
function amendChoiceText(method, choice) {
  if (method === "approval") return T[`amend_${choice}`] || choice;
  if (method === "score") return String(choice);
  return T[`consent_${choice}`] || choice;
}

/** The counts in the words of the amendment's method; a score also gets its average. */
export function amendCounts(a, method) {
  const counts = a.counts || {};
  if (method === "approval") return fmt(T.amend_counts_approval, { yes: counts.yes || 0, no: counts.no || 0 });
  if (method === "score") {
    const total = AMEND_CHOICES.score.reduce((sum, k) => sum + (counts[k] || 0), 0);
    if (!total || a.mean == null) return T.amend_no_scores;
    const mean = Number(a.mean).toLocaleString(document.documentElement.lang || undefined,
      { minimumFractionDigits: 1, maximumFractionDigits: 1 });
    const parts = [fmt(total === 1 ? T.amend_mean.one : T.amend_mean.other, { mean, n: total })];
    for (const k of [...AMEND_CHOICES.score].reverse()) {
      const n = counts[k] || 0;
      if (n) parts.push(fmt(n === 1 ? T.amend_gave.one : T.amend_gave.other, { n, score: k }));
    }
    return parts.join(" · ");
  }
  return fmt(T.amend_counts, { agree: counts.agree || 0, live_with: counts.live_with || 0, object: counts.object || 0 });
}

/** ``ctx``: {command, staff, getState}. */
export function createAmendments({ command, staff, getState }) {
  const list = $("#amendments");
  const source = $("#amend-source");
  const empty = el("li", { class: "empty", text: T.no_amendments });

  async function voteOnAmendment(id, choice) {
    const ack = await command("amendment.vote", { amendment_id: id, choice, reason: "" });
    if (ack.ok) announce(T.answer_saved);
    else notice(ack.error.message);
  }

  /**
   * A dialog that asks for words about one amendment (#<name>-dialog, with #<name>-form, its
   * text box #<name>-<field>, #<name>-quote and #<name>-error): it shows the change, starts
   * empty, and ``send(id, text)`` returns the server's answer; it closes once that is ok and
   * otherwise stays open with the refusal. ``needed``: an empty text is refused here.
   */
  function wordsDialog(name, field, { needed = null, send }) {
    const dialog = modal(`${name}-dialog`);
    if (!dialog) return null;
    const text = $(`#${name}-${field}`);
    const error = $(`#${name}-error`);
    let target = null;
    text.addEventListener("input", () => setText(error, ""));
    $(`#${name}-form`).addEventListener("submit", async (event) => {
      event.preventDefault();
      if (needed && !text.value.trim()) { error.textContent = needed; text.focus(); return; }
      const ack = await send(target, text.value);
      if (ack.ok) dialog.close();
      else error.textContent = ack.error.message;
    });
    /** Open it for amendment ``a`` from the button ``from``; the focus comes back to that
     * button or, when it is gone (the amendment was decided meanwhile), to its card. */
    return (a, from) => {
      target = a.id;
      $(`#${name}-quote`).replaceChildren(...diffNodes(a.in_context || a.diff));
      text.value = "";
      error.textContent = "";
      const card = () => [$(`#amendments [data-amendment-id="${a.id}"]`), $("#amendments-title")];
      dialog.show(from, text, card);
    };
  }

  const askObjection = isParticipant && wordsDialog("object", "reason", {
    needed: T.objection_needed,
    send: async (id, reason) => {
      const ack = await command("amendment.vote", { amendment_id: id, choice: "object", reason });
      if (ack.ok) announce(T.answer_saved);
      return ack;
    },
  });
  const askRejection = isFacilitator && wordsDialog("reject", "note", {
    send: (id, note) => staff("amendment.reject", { amendment_id: id, note }, null), // refused: in the dialog
  });

  /** A participant's controls for an open amendment: buttons (consent, approval) that show the
   * answer given with aria-pressed, or a radio group of scores (arrow keys move and answer). */
  function buildControls(view, a, method) {
    const key = (choice) => `amend-${a.id}-${choice}`;
    view.answers = {};
    if (method === "score") {
      const group = el("fieldset", { class: "score-controls amend-vote" }, el("legend", { text: T.amend_score_label }));
      for (const choice of AMEND_CHOICES.score) {
        view.answers[choice] = el("input", { type: "radio", name: `amend-${a.id}-score`, id: key(choice),
          value: choice, "data-focus-key": key(choice), onchange: () => voteOnAmendment(a.id, choice) });
        group.append(el("span", { class: "score-option" }, view.answers[choice],
          el("label", { for: key(choice), text: choice })));
      }
      return group;
    }
    const questionId = `amend-${a.id}-question`;
    const group = el("div", { class: "moderation amend-vote", role: "group", "aria-labelledby": questionId });
    for (const choice of AMEND_CHOICES[method]) {
      view.answers[choice] = el("button", { type: "button", class: "small", "data-focus-key": key(choice),
        text: amendChoiceText(method, choice), onclick: () => (choice === "object"
          ? askObjection(view.amendment, view.answers.object) : voteOnAmendment(a.id, choice)) });
      group.append(view.answers[choice]);
    }
    return el("div", { class: "amend-answer" },
      el("p", { class: "amend-question", id: questionId,
        text: method === "approval" ? T.amend_approve_question : T.amend_consent_question }),
      group);
  }

  function createItem(a) {
    const view = {
      diff: el("p", { class: "diff" }),
      reason: el("p"),
      meta: el("p", { class: "meta", tabindex: "-1" }), // takes the focus from Accept/Reject
      counts: el("p", { class: "meta amend-counts" }),
      objections: el("ul", { class: "meta" }),
      decided: el("p", { class: "meta" }),
      mine: el("p", { class: "my-answer" }),
      tags: createValueTags({ target: "amendment_id", command, staff }),
    };
    if (isFacilitator) {
      // Named by its amendment, so "Accept" says which of several open changes it accepts.
      view.decide = el("div", { class: "moderation", role: "group", "aria-label": fmt(T.amendment_title, { id: a.id }) },
        el("button", { type: "button", class: "small", text: T.accept,
          onclick: () => staff("amendment.accept", { amendment_id: a.id }) }),
        el("button", { type: "button", class: "small", text: T.reject,
          onclick: (event) => askRejection(view.amendment, event.currentTarget) }));
    }
    view.node = el("li", { "data-amendment-id": String(a.id) });
    return view;
  }

  function updateItem(view, a, state) {
    view.amendment = a; // the latest, for the dialogs
    const method = AMEND_CHOICES[a.method] ? a.method : "consent";
    const open = a.status === "open";
    const answer = (state.my_amendment_votes || {})[String(a.id)];
    view.node.className = `amendment status-${a.status} method-${method}`;
    if (needsRedraw(view.diff, a.in_context || a.diff)) view.diff.replaceChildren(...diffNodes(a.in_context || a.diff));
    setText(view.reason, a.reason || "");
    const meta = [fmt(T.on_version, { n: a.version_number }), T.amend_status[a.status], T.amend_methods[method]];
    const where = a.clause_key != null ? clauseName(state, a.clause_key) : null;
    if (where) meta.unshift(fmt(T.amend_in_clause, { clause: where }));
    if (a.author) meta.unshift(a.author.name + " · " + a.author.level);
    setText(view.meta, meta.join(" · "));
    setText(view.counts, amendCounts(a, method));
    const objections = a.objections || [];
    if (needsRedraw(view.objections, objections)) {
      view.objections.replaceChildren(...objections.map((r) => el("li", { text: r })));
    }
    setText(view.decided, a.decided_note || "");
    view.tags.update(a, open);
    if (isParticipant && open) {
      if (view.controlsFor !== method) {
        view.controlsFor = method;
        view.controls = buildControls(view, a, method);
        view.answered = undefined;
      }
      for (const [choice, control] of Object.entries(view.answers)) {
        if (control.tagName === "BUTTON") setAttr(control, "aria-pressed", String(answer === choice));
        else if (view.answered !== answer) control.checked = answer === choice;
      }
      view.answered = answer;
    }
    if (isParticipant && answer != null) {
      setText(view.mine, fmt(T.your_answer, { choice: amendChoiceText(method, answer) }));
    }
    const deciding = view.decide && view.decide.contains(document.activeElement) ? document.activeElement : null;
    syncChildren(view.node, [view.diff, a.reason ? view.reason : null, view.meta, view.counts,
      objections.length ? view.objections : null, a.decided_note ? view.decided : null, view.tags.node,
      isParticipant && open ? view.controls : null, isParticipant && answer != null ? view.mine : null,
      view.decide && open ? view.decide : null].filter(Boolean));
    // Decided: Accept and Reject go, and the keyboard's place is the line saying what it is now.
    if (deciding) keepFocusNear(deciding, [view.meta]);
  }

  // -- suggesting a change ----------------------------------------------------------------------
  /** The clause whose words the selection lies in (a suggestion stays inside one clause). */
  function clauseAround(start, end) {
    const clauses = documentClauses(getState());
    const index = clauses.findIndex((c) => c.body_start <= start && end <= c.body_end);
    return index === -1 ? null : { clause: clauses[index], title: clauseTitle(clauses[index], index) };
  }

  const selected = () => source.value.slice(source.selectionStart, source.selectionEnd);

  function showSelection() {
    const text = selected();
    const node = $("#amend-selected");
    if (!text) { node.textContent = ""; node.classList.remove("error"); return; }
    const around = documentClauses(getState()).length ? clauseAround(source.selectionStart, source.selectionEnd) : true;
    node.textContent = around === true ? fmt(T.amend_selected, { text })
      : around ? fmt(T.amend_selected_in, { clause: around.title, text }) : T.amend_one_clause;
    node.classList.toggle("error", !around);
  }

  /** The source text is the latest version, and there is nothing to suggest on a final one. */
  function updateSource(state) {
    if (!source) return;
    source.closest("details").hidden = !state.document || documentFinal(state) || !suggestingNow(state);
    if (state.document && source.dataset.version !== String(state.document.number)) {
      source.value = state.document.body_md || "";
      source.dataset.version = String(state.document.number);
    }
  }

  if (source) {
    source.addEventListener("select", showSelection);
    source.addEventListener("keyup", showSelection);
    source.addEventListener("mouseup", showSelection);
    $("#amend-send").addEventListener("click", async () => {
      const error = $("#amend-error");
      const state = getState();
      if (!selected() || !state.document) { error.textContent = T.amend_select_first; return; }
      if (documentClauses(state).length && !clauseAround(source.selectionStart, source.selectionEnd)) {
        error.textContent = T.amend_one_clause;
        return;
      }
      const ack = await command("amendment.propose", {
        version_number: Number(source.dataset.version),
        start: source.selectionStart,
        end: source.selectionEnd,
        replacement: $("#amend-replacement").value,
        reason: $("#amend-reason").value,
      });
      if (ack.ok) {
        error.textContent = "";
        $("#amend-replacement").value = "";
        $("#amend-reason").value = "";
        announce(T.amend_sent);
      } else {
        error.textContent = ack.error.message;
      }
    });
  }

  return {
    /** Participants may suggest changes on this page. */
    canSuggest: !!source,

    /** "Suggest a change to this clause": open the tools with the clause's words selected. */
    suggestIn(clause) {
      const details = source.closest("details");
      if (details) details.open = true;
      updateSource(getState()); // the source text is the latest version
      source.focus();
      source.setSelectionRange(clause.body_start, clause.body_end);
      source.scrollIntoView({ block: "center" });
      showSelection();
    },

    update(state) {
      if (!list) return;
      updateSource(state);
      // Open ones first, grouped under their clause, best supported first.
      const order = (a) => (a.clause_key == null ? Infinity : clauseOrder(state, a.clause_key));
      const amendments = [...(state.amendments || [])].sort((a, b) =>
        Number(b.status === "open") - Number(a.status === "open") || order(a) - order(b)
        || (b.support || 0) - (a.support || 0) || a.id - b.id);
      keyed(list, amendments, { key: (a) => a.id, create: createItem,
        update: (view, a) => updateItem(view, a, state), empty });
    },
  };
}
