/**
 * The current round and the agenda: the round card (what kind of round, its prompt, the
 * clause it is about, the anonymity in force, the countdown and, on the console, how many have
 * voted or proposed) and the agenda, drawn twice on the console: as steps (done, now, next)
 * with what comes next, and as the list the facilitator edits. The countdown ticks here every
 * second without touching anything else; both agenda lists are keyed, one item per round, and
 * the facilitator tools of each item (start, edit, move, remove) come from the console module.
 */
import { $, T, announce, isParticipant } from "./page.js";
import { el, fmt, keyed, plural, setAttr, setText } from "./dom.js";
import { clockText, secondsLeft } from "./clock.js";
import { currentRound } from "./state.js";
import { taskOf } from "./task.js";

/** A new round started: take the participant to it, unless they are typing. */
function bringToRound() {
  const active = document.activeElement;
  if (active && (active.tagName === "TEXTAREA" || active.tagName === "INPUT")) return;
  const heading = $("#round-prompt");
  heading.setAttribute("tabindex", "-1");
  heading.focus({ preventScroll: true });
  heading.scrollIntoView({ block: "start", behavior: "smooth" });
}

/** The round "Next" starts, as the server chooses it (services/rounds.py next_round_of): the
 * first round not yet run after the current one (or after the last one that ran), else the
 * first one not yet run at all; null when none is left. */
export function nextRound(state) {
  const current = currentRound(state);
  const started = state.rounds.filter((r) => r.started_at).map((r) => r.position);
  const anchor = current ? current.position : (started.length ? Math.max(...started) : -1);
  const pending = state.rounds.filter((r) => r.status === "pending");
  return pending.find((r) => r.position > anchor) || pending[0] || null;
}

/** "Vote — Which purpose says it best? · 4 min": a round in one line. */
export function roundSummary(round) {
  const parts = [T.kinds[round.kind], round.prompt ? `— ${round.prompt}` : null];
  const line = parts.filter(Boolean).join(" ");
  return round.duration_seconds
    ? `${line} · ${fmt(T.next_minutes, { n: Math.round(round.duration_seconds / 60) })}` : line;
}

/** "Round 3 of 12 · Vote · Dot voting": where a round is in the agenda, its kind and, for a
 * vote, its method (the one place a participant's screen names the method). */
function kindLine(state, round) {
  const parts = [fmt(T.round_of, { n: round.position + 1, total: state.rounds.length }), T.kinds[round.kind]];
  if (round.kind === "vote" && T.methods[round.method]) parts.push(T.methods[round.method]);
  return parts.join(" · ");
}

/** What the current round has gathered so far: ballots, or proposals (with those waiting). */
function progressText(state, round) {
  if (!round) return "";
  if (["vote", "values", "vocabulary"].includes(round.kind)) {
    return state.vote && state.vote.round_id === round.id ? plural(T.voters, state.vote.voters) : "";
  }
  if (round.kind === "propose") {
    const mine = state.proposals.filter((p) => p.round_id === round.id);
    const waiting = mine.filter((p) => p.status === "pending").length;
    const shown = mine.filter((p) => !p.status || p.status === "visible").length;
    const text = plural(T.round_proposals, shown);
    return waiting ? `${text} · ${fmt(T.round_waiting, { n: waiting })}` : text;
  }
  return "";
}

/** The round card and its timer. ``timeUp`` is called each time a round's time runs out. */
export function createRoundCard({ getState, timeUp }) {
  const kindNode = $("#round-kind");
  const promptNode = $("#round-prompt");
  const clauseNode = $("#run-clause"); // the console's
  const progressNode = $("#round-progress"); // the console's
  const note = $("#anonymity-note");
  const timer = $("#timer");
  const announced = {}; // round id -> what we already announced

  function tick() {
    const state = getState();
    if (!timer || !state) return;
    const round = currentRound(state);
    const left = secondsLeft(round);
    timer.classList.toggle("paused", !!round && round.status === "paused");
    timer.classList.toggle("up", left === 0);
    if (!round || left === null) { setText(timer, ""); return; }
    if (round.status === "paused") {
      setText(timer, `${T.paused} · ${clockText(left)}`);
      return;
    }
    setText(timer, left === 0 ? T.time_up : fmt(T.time_left, { time: clockText(left) }));
    // Once per deadline, not per round: time added after it ran out runs out again.
    const seen = announced[round.id] || (announced[round.id] = {});
    if (left === 0 && seen.up !== round.ends_at) { seen.up = round.ends_at; announce(T.time_up); timeUp(); }
    else if (left <= 60 && left > 55 && seen.minute !== round.ends_at) { seen.minute = round.ends_at; announce(T.one_minute); }
  }
  window.setInterval(tick, 1000);

  return {
    update(state) {
      if (!kindNode || !promptNode) return;
      const round = currentRound(state);
      // A participant's screen keeps the round that just ended, closed (task.js says why).
      const ended = !round && isParticipant ? taskOf(state).round : null;
      if (ended) {
        setText(kindNode, kindLine(state, ended));
        setText(promptNode, ended.prompt || T.kinds[ended.kind]);
      } else if (!round) {
        setText(kindNode, T.phases[state.workshop.phase] || "");
        const anyStarted = state.rounds.some((r) => r.started_at);
        setText(promptNode, anyStarted ? T.round_ended : (state.rounds.length ? T.waiting_first : T.no_agenda));
      } else {
        setText(kindNode, kindLine(state, round));
        setText(promptNode, round.prompt || T.kinds[round.kind]);
        // Once per start: a round ended and started again is news again.
        if (!announced[round.id] || announced[round.id].started !== round.started_at) {
          const first = Object.keys(announced).length === 0;
          announced[round.id] = { started: round.started_at };
          announce(fmt(T.round_started, { prompt: round.prompt || T.kinds[round.kind] }));
          if (!first && isParticipant) bringToRound();
        }
      }
      if (clauseNode) {
        const clause = round && round.clause;
        setText(clauseNode, clause ? fmt(T.run_clause, { clause }) : "");
        clauseNode.hidden = !clause;
      }
      if (progressNode) setText(progressNode, progressText(state, round));
      if (note) {
        const shown = round || ended;
        const mode = (shown && shown.anonymity) || state.workshop.anonymity;
        setText(note, T.anonymity[mode] || "");
      }
      tick();
    },
  };
}

/** Where a round stands in the steps: done, now, next, or still to come (""). */
function stepOf(state, round, next) {
  if (round.id === state.current_round_id) return "now";
  if (next && round.id === next.id) return "next";
  return round.status === "ended" ? "done" : "";
}

/** The agenda as steps (the console's top): one small item per round, and what comes next. */
function drawSteps(list, label, state) {
  const next = nextRound(state);
  keyed(list, state.rounds, {
    key: (round) => round.id,
    create: () => {
      const view = { n: el("span", { class: "step-n" }), kind: el("span", { class: "step-kind" }),
        clause: el("span", { class: "step-clause" }), status: el("span", { class: "visually-hidden" }) };
      view.node = el("li", {}, view.n, view.kind, view.clause, view.status);
      return view;
    },
    update: (view, round, index) => {
      const step = stepOf(state, round, next);
      const className = `step${step ? ` step-${step}` : ""}`;
      if (view.node.className !== className) view.node.className = className;
      setAttr(view.node, "aria-current", step === "now" ? "step" : null);
      setAttr(view.node, "title", round.prompt || null);
      setText(view.n, String(index + 1));
      setText(view.kind, T.kinds[round.kind]);
      setText(view.clause, round.clause || "");
      setText(view.status, step ? ` (${T.step_status[step]})` : "");
    },
  });
  if (!label) return;
  let text;
  if (state.workshop.phase === "closed") text = T.workshop_closed;
  else if (!state.rounds.length) text = T.no_rounds_plan;
  else if (next) text = fmt(T.next_label, { what: roundSummary(next) });
  else text = T.agenda_done_label;
  setText(label, text);
}

/** The agenda: one item per round, kept from event to event. ``tools`` (facilitators) adds
 * the controls of each item: `{create(view), update(view, round, index, count, state)}`. */
export function createAgenda({ tools = null } = {}) {
  const list = $("#agenda");
  const steps = $("#steps");
  const nextLabel = $("#next-label");
  const fold = $("#agenda-fold");
  let planning = null; // no round has run yet: the agenda editor is open while that holds
  if (!list) return { update() {} };
  const empty = el("li", { class: "empty", text: T.no_agenda });
  let foldLater = false;
  if (fold) {
    fold.addEventListener("focusout", (event) => {
      // Only for a move to another control (not the window losing the focus).
      if (foldLater && event.relatedTarget && !fold.contains(event.relatedTarget)) {
        foldLater = false;
        fold.open = false;
      }
    });
  }
  return {
    update(state) {
      if (steps) drawSteps(steps, nextLabel, state);
      // While the agenda is being planned its editor is open; once the first round has
      // started the steps above take over and it folds away (a person may open it again).
      // When the facilitator started it from the agenda, folding it at once would drop their
      // focus: it folds once they move on to something else.
      const nowPlanning = !state.rounds.some((r) => r.started_at);
      if (fold && nowPlanning !== planning) {
        planning = nowPlanning;
        foldLater = !planning && fold.contains(document.activeElement);
        if (!foldLater) fold.open = planning;
      }
      keyed(list, state.rounds, {
        key: (round) => round.id,
        create: () => {
          const view = { kind: el("span", { class: "agenda-kind" }), prompt: el("span", { class: "agenda-prompt" }),
            clause: el("span", { class: "agenda-clause" }) };
          view.node = el("li", {}, view.kind, view.prompt, view.clause);
          if (tools) tools.create(view);
          return view;
        },
        update: (view, round, index) => {
          const current = round.id === state.current_round_id;
          const minutes = round.duration_seconds ? ` · ${Math.round(round.duration_seconds / 60)}′` : "";
          view.node.className = `agenda-item status-${round.status}${current ? " current" : ""}`;
          setAttr(view.node, "aria-current", current ? "step" : null);
          setText(view.kind, T.kinds[round.kind] + (round.kind === "vote" ? ` (${T.methods[round.method]})` : "") + minutes);
          setText(view.prompt, round.prompt || "");
          setText(view.clause, round.clause ? fmt(T.run_clause, { clause: round.clause }) : "");
          view.clause.hidden = !round.clause;
          if (tools) tools.update(view, round, index, state.rounds.length, state);
        },
        empty,
      });
    },
  };
}
