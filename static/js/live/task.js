/**
 * The participant's task of the moment (templates/participant/room.html shows one at a time):
 * which round it belongs to, whether that round still takes input and, when it does not, why,
 * in words ("Time is up: proposals are closed", "Paused by the facilitator", "This round has
 * ended"), with the task's fields disabled; the clause the round is about in the compact
 * header; the draft's hint for a refine, consent or finalise round; and whether the results
 * belong to this task (shown first once its round is over and they are out) or are folded
 * away as an earlier round's. The sections themselves are
 * shown per phase by room.js; the ballot, the proposals and the draft draw their own controls
 * and ask `taskOf` the same question, so they always agree.
 */
import { $, T, announce, root } from "./page.js";
import { fmt, setAttr, setText } from "./dom.js";
import { closedReason } from "./clock.js";
import { documentFinal, taskRound, voteRound } from "./state.js";

/** The kinds of round whose task each phase shows. */
const PHASE_KINDS = {
  values: ["values"],
  propose: ["propose"],
  vote: ["vote", "vocabulary"],
  draft: ["refine", "consent", "finalise", "measures"],
};

/**
 * The task now: `{phase, round, kind, reason}`. ``round`` is the round the task belongs to
 * (the current one, or the one that just ended) when it fits the phase, else null; ``kind``
 * is its kind (or the phase); ``reason`` is why it takes no input ("paused", "time_up",
 * "ended", "closed"), or null while it does.
 */
export function taskOf(state) {
  const phase = state.workshop.phase;
  const candidate = taskRound(state);
  const round = candidate && (PHASE_KINDS[phase] || []).includes(candidate.kind) ? candidate : null;
  let reason = phase === "closed" ? "closed" : closedReason(round);
  if (phase === "lobby") reason = null;
  return { phase, round, kind: round ? round.kind : phase, reason };
}

/** The reasons a round takes no input for good (not a pause) after which its own results,
 * once revealed, are what the room reads next. */
const RESULTS_FIRST = ["ended", "time_up", "closed"];

/** Suggesting changes to the draft is part of the task: not while the room answers on its
 * clauses (a consent round) or reads what it agreed (a finalise round). */
export function suggestingNow(state) {
  return !["consent", "finalise"].includes(taskOf(state).kind);
}

/** The reason a task is closed, in words, for a round of ``kind`` ("" when it is open). */
export function closedText(kind, reason) {
  if (reason === "paused") return T.closed_paused;
  if (reason === "time_up") return T.closed_time_up[kind] || T.time_up;
  if (reason === "ended") return T.round_ended;
  return "";
}

export function createTask() {
  const clause = $("#round-clause");
  const draftHint = $("#draft-hint");
  const measuresLink = $("#measures-link");
  const defaultHint = draftHint ? draftHint.textContent : "";
  const notes = {
    propose: [$("#propose-closed"), $("#proposal-fields")],
    vote: [$("#vote-closed"), null],
    values: [$("#values-closed"), $("#values-fields")],
  };
  const draftNote = $("#draft-closed");
  const resultsFold = $("#results-fold");
  const taskNode = $("#task");
  // Where the results fold lives when it is not first: before what follows it in the page.
  const resultsHome = resultsFold ? resultsFold.nextElementSibling : null;
  let spoken = null; // the closed reason last announced

  /** Show why a task takes no input (or nothing), and disable its fields meanwhile. */
  function showClosed(note, fields, text) {
    if (note) {
      setText(note, text);
      note.hidden = !text;
    }
    if (fields && fields.disabled !== !!text) fields.disabled = !!text;
  }

  /** Put the results before the task (``first``) or back in their place after it. */
  function placeResults(first) {
    const before = first ? taskNode : resultsHome;
    if (before && resultsFold.nextElementSibling !== before) before.before(resultsFold);
  }

  function updateResultsFold(state, task) {
    if (!resultsFold) return;
    const round = voteRound(state);
    resultsFold.hidden = !state.vote || !round;
    if (resultsFold.hidden) {
      placeResults(false);
      return;
    }
    // The results of the task's own round are part of the task; any other's are folded away.
    const current = !!task.round && task.round.id === round.id;
    const mode = current ? "current" : "earlier";
    if (resultsFold.dataset.mode !== mode) {
      resultsFold.dataset.mode = mode;
      resultsFold.open = current;
    }
    // Once that round takes no more input and its results are out, reading them is the task:
    // they come first, and the closed ballot (or form) goes under them.
    const first = current && RESULTS_FIRST.includes(task.reason) && !!state.vote.results;
    setAttr(root, "data-results-first", first ? "yes" : "no");
    placeResults(first);
  }

  return {
    update(state) {
      const task = taskOf(state);
      const current = task.round;
      if (clause) {
        const name = current && current.clause ? fmt(T.round_clause, { clause: current.clause }) : "";
        setText(clause, name);
        clause.hidden = !name;
      }
      for (const [phase, [note, fields]] of Object.entries(notes)) {
        const text = task.phase === phase && task.reason !== "closed" ? closedText(task.kind, task.reason) : "";
        showClosed(note, fields, text);
      }
      // The draft: editing closes with a refine round, answers on clauses with a consent round
      // (beside the other rounds they go on).
      showClosed(draftNote, null, ["refine", "consent"].includes(task.kind) ? closedText(task.kind, task.reason) : "");
      if (draftHint) {
        // Once final, nothing invites an edit: the draft card says it is locked.
        draftHint.hidden = documentFinal(state);
        setText(draftHint, { refine: T.task_refine, consent: T.task_consent, finalise: T.task_finalise,
          measures: T.task_measures }[task.kind] || defaultHint);
      }
      // How we will know: measures are proposed and supported on the mission page.
      if (measuresLink) measuresLink.hidden = task.kind !== "measures";
      setAttr(root, "data-task", task.kind);
      setAttr(root, "data-input", task.reason ? "closed" : "open");
      // Say once that input closed (the timer says "Time is up" by itself).
      const said = task.round && task.reason && task.reason !== "time_up" ? `${task.round.id}:${task.reason}` : null;
      if (said && said !== spoken && ["propose", "vote", "values", "vocabulary", "refine", "consent"].includes(task.kind)) {
        announce(closedText(task.kind, task.reason));
      }
      spoken = said;
      updateResultsFold(state, task);
    },
  };
}
