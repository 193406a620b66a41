/**
 * What only a facilitator can do from the console: run the workshop from the top (the current
 * round's pause, resume, extend, end and reveal; "Next", which starts the next round of the
 * agenda; placing a vote's winner into its clause; closing the workshop once the agenda is
 * done), build the agenda (add, edit, start, move, remove rounds, the template), the quick
 * phase buttons and the anonymous read-out, and moderate proposals and comments, with dialogs
 * for hiding (with the reason the author reads), merging (by picking the other card) and
 * splitting (one text box per part).
 *
 * Keeping every facilitator command in one module makes it plain which screen may send what;
 * the controls are built once and only shown, hidden or relabelled as the state changes, so
 * nothing a facilitator is typing or has focused is lost when other people's events arrive.
 */
import { $, T, announce, root } from "./page.js";
import { el, fmt, keyed, modal, needsRedraw, nextSerial, plainText, setText, syncChildren } from "./dom.js";
import { currentRound, documentClauses, proposalById, taskRound, voteRound } from "./state.js";
import { nextRound, roundSummary } from "./round.js";

const isVisible = (p) => !p.status || p.status === "visible";
const sameWords = (a, b) => a.trim().replace(/\s+/g, " ").toLowerCase() === b.trim().replace(/\s+/g, " ").toLowerCase();

/** "care: how" lines <-> vocabulary words. */
const wordsFromText = (text) => String(text || "").split("\n")
  .map((line) => line.split(":")).filter(([word]) => word && word.trim())
  .map(([word, category]) => ({ word: word.trim(), category: (category || "what").trim().toLowerCase() }));
const wordsToText = (words) => (words || []).map((w) => `${w.word}: ${w.category}`).join("\n");

/** The parts a proposal splits into at first: its paragraphs, else its sentences, else the
 * whole text and an empty part (at most 5; the rest stays in the last). */
function firstParts(text) {
  const body = String(text || "").trim();
  let parts = body.split(/\n\s*\n/).map((p) => p.trim()).filter(Boolean);
  if (parts.length < 2) parts = body.split(/(?<=[.!?])\s+(?=\S)/).map((p) => p.trim()).filter(Boolean);
  if (parts.length < 2) return [body, ""];
  return parts.length > 5 ? [...parts.slice(0, 4), parts.slice(4).join(" ")] : parts;
}

/** The console: ``command`` sends a command (its refusal is shown in #console-error). */
export function createConsole({ command, getState }) {
  const errorNode = $("#console-error");
  const documentUrl = root.dataset.documentUrl;

  /** Send a facilitator command; a refusal is shown in ``where`` (by default above the
   * console's controls), and cleared there by the next success. */
  async function staff(name, payload, where = errorNode) {
    const ack = await command(name, payload);
    if (where) where.textContent = ack.ok ? "" : ack.error.message;
    return ack;
  }

  // -- the current round ------------------------------------------------------------------
  const box = $("#round-controls");
  let shown = null; // {round, voting} the buttons act on
  const button = (text, handler, extra = {}) => el("button", { type: "button", text, onclick: handler, ...extra });
  const buttons = box && {
    pause: button(T.pause, () => staff("round.pause", { round_id: shown.round.id })),
    resume: button(T.resume, () => staff("round.resume", { round_id: shown.round.id })),
    extend1: button(T.extend1, () => staff("round.extend", { round_id: shown.round.id, seconds: 60 })),
    extend5: button(T.extend5, () => staff("round.extend", { round_id: shown.round.id, seconds: 300 })),
    end: button(T.end, () => staff("round.end", { round_id: shown.round.id })),
    reveal: button(T.reveal, () => staff("round.reveal", { round_id: shown.voting.id }), { class: "primary" }),
  };

  function updateRoundControls(state) {
    if (!box) return;
    const round = currentRound(state);
    const voting = voteRound(state);
    shown = { round, voting };
    const wanted = [];
    if (round) {
      wanted.push(round.status === "running" ? buttons.pause : buttons.resume,
        buttons.extend1, buttons.extend5, buttons.end);
    }
    if (voting && voting.blind && !voting.revealed) {
      // The last round that took ballots may be an earlier one: say which.
      setText(buttons.reveal, round && round.id === voting.id ? T.reveal
        : fmt(T.reveal_round, { n: voting.position + 1 }));
      wanted.push(buttons.reveal);
    }
    syncChildren(box, wanted);
    box.hidden = wanted.length === 0;
  }

  // -- the winner of the last vote, into its clause of the draft -----------------------------
  const winnerLine = el("div", { class: "winner-line", id: "winner-line" });
  const placeButton = button("", () => placeWinner());
  const placedText = el("span");
  const draftLink = el("a", { href: documentUrl || "#", text: T.open_draft });
  const setClause = button(T.set_clause, () => { if (placing) editRound(placing, setClause); }, { class: "small" });
  let placing = null; // the vote round the button places
  let clauseRefused = null; // the round whose placing was refused for its clause
  if (box) box.after(winnerLine);

  /** The vote round whose winner may be placed now: its results are visible, and it has ended
   * or been revealed (a vote still open and not blind has no winner yet). */
  function placeableRound(state) {
    const round = voteRound(state);
    if (!round || round.kind !== "vote" || !state.vote || !state.vote.results) return null;
    if (round.status !== "ended" && !round.revealed) return null;
    return round;
  }

  /** The winner's words are in the round's clause already (placed before, maybe elsewhere). */
  function winnerIsPlaced(state, round) {
    const results = state.vote.results;
    const winnerId = results.winner ?? (results.ranking || [])[0];
    const winner = winnerId != null ? proposalById(state, winnerId) : null;
    if (!winner || !winner.body_md || !round.clause) return false;
    const clause = documentClauses(state).find((c) => sameWords(c.heading || "", round.clause));
    return !!clause && clause.body.replace(/\s+/g, " ").includes(winner.body_md.trim().replace(/\s+/g, " "));
  }

  async function placeWinner() {
    const round = placing;
    if (!round) return;
    placeButton.disabled = true;
    const ack = await staff("round.place_winners", { round_id: round.id, count: 1 });
    placeButton.disabled = false;
    clauseRefused = !ack.ok && ack.error.details && ack.error.details.field === "clause" ? round.id : null;
    if (ack.ok) {
      announce(fmt(T.winner_placed_version, { clause: round.clause, number: ack.number }));
    }
    updateWinnerLine(getState());
  }

  function updateWinnerLine(state) {
    const round = placeableRound(state);
    placing = round;
    if (!round) { syncChildren(winnerLine, []); winnerLine.hidden = true; return; }
    const placed = winnerIsPlaced(state, round);
    const latest = taskRound(state);
    if (placed && latest && latest.id !== round.id) {
      // Done, and the room has moved on: no news any more (an unplaced winner stays offered).
      syncChildren(winnerLine, []);
      winnerLine.hidden = true;
      return;
    }
    winnerLine.hidden = false;
    if (placed) {
      setText(placedText, fmt(T.winner_placed, { prompt: round.prompt || T.kinds.vote, clause: round.clause }));
      syncChildren(winnerLine, [placedText, draftLink]);
      return;
    }
    setText(placeButton, round.clause ? fmt(T.place_winner, { clause: round.clause }) : T.place_winner_draft);
    syncChildren(winnerLine, [placeButton, clauseRefused === round.id ? setClause : null, draftLink].filter(Boolean));
  }

  // -- Next, the template, closing ------------------------------------------------------------
  const nextButton = $("#next-button");
  const closeButton = $("#close-workshop");
  const planMore = $("#plan-more");
  const template = $("#use-template");
  let agendaDone = false; // the server said nothing is left (in case our reckoning differs)
  if (nextButton) {
    nextButton.addEventListener("click", async () => {
      nextButton.disabled = true;
      // The round this screen shows as current: a second press (or a co-facilitator's at the
      // same moment) is refused once the room has moved on, instead of skipping a round.
      const current = currentRound(getState());
      const ack = await staff("round.next", { from_round_id: current ? current.id : 0 });
      nextButton.disabled = false;
      agendaDone = !ack.ok && ack.error.code === "agenda_done";
      if (agendaDone && errorNode) errorNode.textContent = "";
      updateNext(getState());
      if (agendaDone && closeButton) closeButton.focus();
    });
  }
  // Closing is for good (anonymous votes become nobody's), so the console asks once more;
  // Cancel has the focus first.
  const closing = modal("close-dialog");
  const closeWorkshop = (event) => {
    $("#close-error").textContent = "";
    closing.show(event.currentTarget, closing.dialog.querySelector("[data-close-dialog]"));
  };
  if (closing) {
    $("#close-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const ack = await staff("phase.set", { phase: "closed" }, $("#close-error"));
      if (ack.ok) closing.close();
    });
  }
  if (closeButton && closing) closeButton.addEventListener("click", closeWorkshop);
  if (template) template.addEventListener("click", () => staff("agenda.template", {}));
  if (planMore) planMore.addEventListener("click", () => openRoundForm());

  function updateNext(state) {
    if (!nextButton) return;
    const closed = state.workshop.phase === "closed";
    const next = closed ? null : nextRound(state);
    if (next) agendaDone = false;
    const done = !closed && state.rounds.length > 0 && (!next || agendaDone);
    nextButton.hidden = !next || agendaDone;
    closeButton.hidden = !done;
    planMore.hidden = !done;
    template.hidden = closed || state.rounds.length > 0;
  }

  // -- the agenda: the round form (add, or edit one round) ---------------------------------
  const form = $("#add-round-form");
  const formFold = $("#round-form-fold");
  const agendaFold = $("#agenda-fold");
  const formError = $("#round-form-error");
  const formTitle = $("#round-form-title");
  const editingNote = $("#round-form-editing");
  const submit = $("#round-form-submit");
  const cancel = $("#round-form-cancel");
  const kindInput = $("#round-kind-input");
  const sourceInput = $("#round-source-input");
  const clauseOptions = $("#clause-options");
  let editing = null; // {id, opener, was} while a round is being edited (was: as opened)
  const sourceOptions = new Map(); // round id -> <option>
  const clauseNodes = new Map(); // heading (lower case) -> <option>
  const templateClauses = clauseOptions ? [...clauseOptions.options].map((o) => o.value) : [];

  /** Show only the settings that mean something for the chosen kind of round. */
  function showSettingsFor(kind) {
    for (const node of form.querySelectorAll("[data-kinds]")) {
      node.hidden = !node.dataset.kinds.split(" ").includes(kind);
    }
  }

  /** The settings the form describes, as round.add takes them. */
  function formSettings() {
    const data = new FormData(form);
    const kind = data.get("kind");
    const source = kind === "vote" ? String(data.get("source") || "") : "";
    return {
      kind,
      prompt: String(data.get("prompt") || ""),
      minutes: Number(data.get("minutes") || 0),
      method: kind === "vote" ? data.get("method") : null,
      clause: String(data.get("clause") || "").trim(),
      source_round_id: source && source !== "all" ? Number(source) : null,
      all_proposals: source === "all",
      // Other kinds follow the workshop's anonymity (the field is hidden for them).
      anonymity: ["propose", "vote", "values", "vocabulary"].includes(kind) ? data.get("anonymity") || null : null,
      blind: data.get("blind") === "on",
      premoderation: data.get("premoderation") === "on",
      breakdown_by_level: data.get("breakdown_by_level") === "on",
      words: kind === "vocabulary" ? wordsFromText(data.get("words")) : [],
    };
  }

  /** A round's settings as the form shows them. */
  function fillForm(round) {
    form.elements.kind.value = round.kind;
    form.elements.prompt.value = round.prompt || "";
    form.elements.minutes.value = String(Math.round((round.duration_seconds || 0) / 6) / 10);
    form.elements.clause.value = round.clause || "";
    form.elements.method.value = round.method && round.kind === "vote" ? round.method : "dot";
    form.elements.source.value = round.all_proposals ? "all" : String(round.source_round_id ?? "");
    form.elements.anonymity.value = round.anonymity || "";
    form.elements.blind.checked = round.blind;
    form.elements.premoderation.checked = round.premoderation;
    form.elements.breakdown_by_level.checked = round.breakdown_by_level;
    form.elements.words.value = wordsToText(round.words);
    showSettingsFor(round.kind);
  }

  /** What the facilitator changed in the form, from ``round`` as it was when the form was
   * opened: round.update changes only what it is sent, so a setting they did not touch keeps
   * whatever a co-facilitator made of it meanwhile. */
  function changesTo(round, settings) {
    const now = {
      kind: round.kind, prompt: round.prompt || "", minutes: round.duration_seconds / 60,
      method: round.kind === "vote" ? round.method : null, clause: round.clause || "",
      source_round_id: round.source_round_id ?? null, all_proposals: !!round.all_proposals,
      anonymity: round.anonymity || null, blind: round.blind, premoderation: round.premoderation,
      breakdown_by_level: round.breakdown_by_level, words: round.kind === "vocabulary" ? round.words || [] : [],
    };
    const changes = {};
    for (const [key, value] of Object.entries(settings)) {
      const same = key === "minutes" ? Math.round(value * 60) === round.duration_seconds
        : JSON.stringify(value) === JSON.stringify(now[key]);
      if (!same) changes[key] = value;
    }
    if (settings.kind !== "vote") {
      delete changes.source_round_id;
      delete changes.all_proposals;
    }
    return changes;
  }

  /** Unfold the agenda and its form, and take the person there. */
  function openRoundForm() {
    if (!form) return;
    agendaFold.open = true;
    formFold.open = true;
    kindInput.focus({ preventScroll: true });
    formFold.scrollIntoView({ block: "start", behavior: "smooth" });
  }

  /** Back to adding a round: the form as it was opened for that (``keep``: with what is typed). */
  function addMode({ keep = false } = {}) {
    editing = null;
    if (!keep) form.reset();
    showSettingsFor(kindInput.value);
    setText(formTitle, formTitle.dataset.addLabel);
    setText(submit, T.add_the_round);
    editingNote.hidden = true;
    setText(cancel, keep ? T.clear_round_form : cancel.dataset.label);
    cancel.hidden = !keep;
    formError.textContent = "";
  }

  function stopEditing({ focus = false } = {}) {
    const opener = editing && editing.opener;
    addMode();
    if (focus && opener && opener.isConnected) opener.focus();
  }

  /** The round being edited was removed (by a co-facilitator): what was typed stays, in a
   * form that now adds a round, and the facilitator is told why and what they can do. */
  function editedRoundRemoved() {
    addMode({ keep: true });
    formError.textContent = T.round_removed_meanwhile;
  }

  /** Open the form on one round's settings; saving sends only what changed. */
  function editRound(round, opener) {
    if (!form) return;
    editing = { id: round.id, opener, was: round };
    fillForm(round);
    setText(cancel, cancel.dataset.label);
    setText(editingNote, fmt(T.editing_round, { n: round.position + 1, what: roundSummary(round) }));
    editingNote.hidden = false;
    setText(formTitle, fmt(T.editing_round, { n: round.position + 1, what: T.kinds[round.kind] }));
    setText(submit, T.save_round);
    cancel.hidden = false;
    formError.textContent = "";
    openRoundForm();
    if (opener === setClause) form.elements.clause.focus({ preventScroll: true });
  }

  if (form) {
    formTitle.dataset.addLabel = formTitle.textContent;
    cancel.dataset.label = cancel.textContent;
    showSettingsFor(kindInput.value);
    kindInput.addEventListener("change", () => showSettingsFor(kindInput.value));
    form.addEventListener("reset", () => window.setTimeout(() => showSettingsFor(kindInput.value), 0));
    cancel.addEventListener("click", () => stopEditing({ focus: true }));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const settings = formSettings();
      if (editing && editing.id) {
        const round = getState().rounds.find((r) => r.id === editing.id);
        if (!round) { editedRoundRemoved(); return; }
        const changes = changesTo(editing.was, settings);
        if (Object.keys(changes).length) {
          const ack = await staff("round.update", { round_id: round.id, ...changes }, formError);
          if (!ack.ok) return;
        }
        announce(T.round_saved);
        const fromRefusal = editing.opener === setClause;
        if (clauseRefused === round.id) clauseRefused = null;
        updateWinnerLine(getState());
        stopEditing({ focus: true });
        // Set from a refused placing: the next step is to place the winner again.
        if (fromRefusal && placeButton.isConnected) placeButton.focus();
        return;
      }
      const ack = await staff("round.add", settings, formError);
      if (ack.ok) addMode();
    });
  }

  /** The propose rounds a vote may take its ballot from, between "the one before it" and
   * "every visible proposal"; the chosen option survives agenda changes. */
  function updateSources(state) {
    if (!sourceInput) return;
    const rounds = state.rounds.filter((r) => r.kind === "propose");
    const nodes = rounds.map((round) => {
      let option = sourceOptions.get(round.id);
      if (!option) {
        option = el("option", { value: String(round.id) });
        sourceOptions.set(round.id, option);
      }
      setText(option, fmt(T.source_round, { n: round.position + 1,
        what: [round.clause, round.prompt].filter(Boolean).join(" — ") || T.kinds.propose }));
      return option;
    });
    const [first, last] = [sourceInput.querySelector('option[value=""]'), sourceInput.querySelector('option[value="all"]')];
    const value = sourceInput.value;
    syncChildren(sourceInput, [first, ...nodes, last]);
    if (sourceInput.value !== value && [...sourceInput.options].some((o) => o.value === value)) sourceInput.value = value;
  }

  /** The clause names offered: the draft's headings, then the template's not in the draft. */
  function updateClauseOptions(state) {
    if (!clauseOptions) return;
    const headings = [];
    const seen = new Set();
    for (const heading of [...documentClauses(state).map((c) => c.heading), ...templateClauses]) {
      const key = (heading || "").trim().toLowerCase();
      if (!key || seen.has(key)) continue;
      seen.add(key);
      headings.push(heading.trim());
    }
    syncChildren(clauseOptions, headings.map((heading) => {
      const key = heading.toLowerCase();
      let option = clauseNodes.get(key);
      if (!option) {
        option = el("option", { value: heading });
        clauseNodes.set(key, option);
      }
      return option;
    }));
  }

  // -- quick rounds and the read-out ------------------------------------------------------------
  const readout = $("#readout-toggle");
  if (readout) {
    readout.addEventListener("change", async () => {
      const ack = await staff("readout.set", { anonymous: readout.checked });
      if (!ack.ok) readout.checked = getState().workshop.readout_anonymous; // as it still is
    });
  }
  const phaseButtons = [...root.querySelectorAll("[data-set-phase]")];
  for (const phaseButton of phaseButtons) {
    const phase = phaseButton.dataset.setPhase;
    phaseButton.addEventListener("click", (event) => (phase === "closed" ? closeWorkshop(event) : staff("phase.set", { phase })));
  }

  /** The tools of one agenda item (see round.js): start or go back, edit, move, remove. */
  const agendaTools = {
    create(view) {
      const act = (name, payload) => () => staff(name, payload());
      view.tools = el("span", { class: "agenda-tools" });
      view.start = el("button", { type: "button", class: "small",
        onclick: act("round.start", () => ({ round_id: view.round.id })) });
      view.edit = el("button", { type: "button", class: "small", text: T.edit,
        onclick: () => editRound(view.round, view.edit) });
      view.up = el("button", { type: "button", class: "small", text: "↑", "aria-label": T.move_up,
        onclick: act("round.move", () => ({ round_id: view.round.id, position: view.index - 1 })) });
      view.down = el("button", { type: "button", class: "small", text: "↓", "aria-label": T.move_down,
        onclick: act("round.move", () => ({ round_id: view.round.id, position: view.index + 1 })) });
      view.remove = el("button", { type: "button", class: "small", text: T.remove,
        onclick: act("round.remove", () => ({ round_id: view.round.id })) });
      view.node.append(view.tools);
    },
    update(view, round, index, count, state) {
      view.round = round;
      view.index = index;
      const current = round.id === state.current_round_id;
      setText(view.start, round.status === "ended" ? T.go_back : T.start);
      // The tool pressed may go (↑ once at the top, Start once it is the current round): the
      // tool now in its place takes the focus, so the facilitator stays on this item.
      syncChildren(view.tools, [current ? null : view.start, view.edit, index > 0 ? view.up : null,
        index < count - 1 ? view.down : null, round.started_at ? null : view.remove].filter(Boolean),
      { refocus: true });
    },
  };

  // -- moderation dialogs ---------------------------------------------------------------------
  const cardLabel = (proposal) => `#${proposal.id} ${plainText(proposal.body_html, 90)}`;
  const cardNode = (id) => root.querySelector(`#proposals [data-proposal-id="${id}"], #queue [data-proposal-id="${id}"]`);
  const cardButtons = (id) => {
    const card = cardNode(id);
    return card ? [card.querySelector(".moderation button"), card.querySelector("button"), card] : [];
  };
  const listHeading = () => [$("#proposals-title")];

  // Hide, with the reason the author reads.
  const hiding = modal("hide-dialog");
  let hideTarget = null;
  if (hiding) {
    const reason = $("#hide-reason");
    const error = $("#hide-error");
    $("#hide-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const ack = await staff("proposal.hide", { proposal_id: hideTarget, reason: reason.value }, error);
      if (ack.ok) {
        announce(T.hide_done);
        hiding.close();
      }
    });
    hiding.openFor = (proposal, from) => {
      hideTarget = proposal.id;
      setText($("#hide-quote"), cardLabel(proposal));
      reason.value = "";
      error.textContent = "";
      hiding.show(from, reason, () => [...cardButtons(proposal.id), ...listHeading()]);
    };
  }

  // Merge, by picking the other card from a list (filtered by what is typed).
  const merging = modal("merge-dialog");
  let mergeFrom = null; // the card that goes into the chosen one
  let mergeInto = null; // the chosen card, once merged (for the focus)
  if (merging) {
    const options = $("#merge-options");
    const filter = $("#merge-filter");
    const error = $("#merge-error");
    const none = el("li", { class: "empty", text: T.merge_none });
    const mergeButton = merging.dialog.querySelector("button[type=submit]");
    const applyFilter = () => {
      const words = filter.value.trim().toLowerCase();
      for (const li of options.children) {
        if (li === none) continue;
        li.hidden = !!words && !li.textContent.toLowerCase().includes(words);
      }
    };
    filter.addEventListener("input", applyFilter);
    merging.refresh = (state) => {
      const others = state.proposals.filter((p) => isVisible(p) && p.id !== mergeFrom);
      keyed(options, others, {
        key: (p) => p.id,
        create: (p) => {
          const id = `merge-into-${p.id}-${nextSerial()}`;
          const view = { input: el("input", { type: "radio", name: "merge-into", id, value: String(p.id) }),
            label: el("label", { for: id }) };
          view.node = el("li", { class: "merge-option" }, view.input, view.label);
          return view;
        },
        update: (view, p) => {
          const authors = (p.authors || []).map((a) => a.name).join(", ");
          setText(view.label, cardLabel(p) + (authors ? ` · ${authors}` : ""));
        },
        empty: none,
      });
      mergeButton.disabled = others.length === 0;
      applyFilter();
    };
    $("#merge-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const chosen = options.querySelector("input:checked");
      if (!chosen) { error.textContent = T.merge_choose; return; }
      const keep = Number(chosen.value);
      const ack = await staff("proposal.merge", { keep_id: keep, merge_id: mergeFrom }, error);
      if (ack.ok) {
        mergeInto = keep;
        announce(fmt(T.merge_done, { id: keep }));
        merging.close();
      }
    });
    merging.openFor = (proposal, from) => {
      mergeFrom = proposal.id;
      mergeInto = null;
      setText($("#merge-quote"), cardLabel(proposal));
      filter.value = "";
      error.textContent = "";
      for (const input of options.querySelectorAll("input:checked")) input.checked = false;
      merging.refresh(getState());
      merging.show(from, filter, () => [...(mergeInto ? cardButtons(mergeInto) : []),
        ...cardButtons(proposal.id), ...listHeading()]);
    };
  }

  // Split, one text box per part (2 to 5).
  const splitting = modal("split-dialog");
  let splitTarget = null;
  if (splitting) {
    const partsList = $("#split-parts");
    const add = $("#split-add");
    const error = $("#split-error");
    const drawParts = (texts) => {
      partsList.replaceChildren(...texts.map((text) => {
        const id = `split-part-${nextSerial()}`;
        const label = el("label", { for: id });
        const area = el("textarea", { id, rows: "3", maxlength: "1000" });
        area.value = text;
        const remove = el("button", { type: "button", class: "small" });
        remove.addEventListener("click", () => {
          const li = remove.closest("li");
          const next = li.nextElementSibling || li.previousElementSibling;
          li.remove();
          renumber();
          (next ? next.querySelector("textarea") : add).focus();
        });
        return el("li", {}, label, area, remove);
      }));
      renumber();
    };
    const renumber = () => {
      const items = [...partsList.children];
      items.forEach((li, i) => {
        setText(li.querySelector("label"), fmt(T.split_part, { n: i + 1 }));
        const remove = li.querySelector("button");
        setText(remove, fmt(T.split_remove, { n: i + 1 }));
        remove.hidden = items.length <= 2;
      });
      add.hidden = items.length >= 5;
    };
    add.addEventListener("click", () => {
      const texts = [...partsList.querySelectorAll("textarea")].map((t) => t.value);
      drawParts([...texts, ""]);
      partsList.lastElementChild.querySelector("textarea").focus();
    });
    $("#split-form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const parts = [...partsList.querySelectorAll("textarea")].map((t) => t.value.trim()).filter(Boolean);
      if (parts.length < 2) { error.textContent = T.split_need_two; return; }
      const ack = await staff("proposal.split", { proposal_id: splitTarget, parts }, error);
      if (ack.ok) {
        announce(fmt(T.split_done, { n: ack.proposal_ids.length }));
        splitting.close();
      }
    });
    splitting.openFor = (proposal, from) => {
      splitTarget = proposal.id;
      error.textContent = "";
      drawParts(firstParts(proposal.body_md || plainText(proposal.body_html, 1000)));
      splitting.show(from, partsList.querySelector("textarea"),
        () => [...cardButtons(proposal.id), ...listHeading()]);
    };
  }

  // -- moderation buttons on each card -------------------------------------------------------
  /** A proposal's moderation buttons, kept while the card lives. */
  function createModeration() {
    const view = { node: el("div", { class: "moderation", role: "group" }) };
    const id = () => view.proposal.id;
    const make = (text, handler) => el("button", { type: "button", class: "small", text, onclick: handler });
    view.approve = make(T.approve_card, () => staff("proposal.approve", { proposal_id: id() }));
    view.restore = make(T.restore, () => staff("proposal.restore", { proposal_id: id() }));
    view.hide = make(T.hide, () => hiding.openFor(view.proposal, view.hide));
    view.pin = make(T.pin, () => staff("proposal.pin", { proposal_id: id(), pinned: !view.proposal.pinned }));
    view.merge = make(T.merge, () => merging.openFor(view.proposal, view.merge));
    view.split = make(T.split, () => splitting.openFor(view.proposal, view.split));
    view.update = (proposal) => {
      view.proposal = proposal;
      const status = proposal.status || "visible";
      setText(view.pin, proposal.pinned ? T.unpin : T.pin);
      view.node.setAttribute("aria-label", `#${proposal.id}`);
      const wanted = [];
      if (status === "pending") wanted.push(view.approve, view.hide, view.merge);
      else if (status === "hidden") wanted.push(view.restore);
      else if (status === "visible") wanted.push(view.hide, view.pin, view.merge, view.split);
      // The button pressed may go ("Show again", "Approve"): the one now in its place takes the
      // focus, so a keyboard stays on this card.
      syncChildren(view.node, wanted, { refocus: true });
    };
    return view;
  }

  /** The button that hides, shows again or approves a comment. */
  function createCommentModeration() {
    const view = {};
    view.node = el("button", { type: "button", class: "small",
      onclick: () => staff("comment.moderate", { comment_id: view.comment.id, visible: !view.visible }) });
    view.update = (comment) => {
      view.comment = comment;
      view.visible = !comment.status || comment.status === "visible";
      const text = view.visible ? T.hide : (comment.status === "pending" ? T.approve_card : T.restore);
      if (view.node.textContent !== text) view.node.textContent = text;
    };
    return view;
  }

  return {
    staff,
    agendaTools,
    createModeration,
    createCommentModeration,
    update(state) {
      const phase = state.workshop.phase;
      for (const phaseButton of phaseButtons) {
        phaseButton.setAttribute("aria-pressed", String(phaseButton.dataset.setPhase === phase));
      }
      // Set from the state only when the state changes, so a click is not undone meanwhile.
      if (readout && needsRedraw(readout, state.workshop.readout_anonymous)) {
        readout.checked = state.workshop.readout_anonymous;
      }
      updateRoundControls(state);
      updateWinnerLine(state);
      updateNext(state);
      updateSources(state);
      updateClauseOptions(state);
      if (editing && editing.id && !state.rounds.some((r) => r.id === editing.id)) editedRoundRemoved();
      if (merging && merging.open) merging.refresh(state);
    },
  };
}
