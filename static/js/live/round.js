/**
 * The current round and the agenda: the round card (what kind of round, its prompt, the
 * anonymity in force and the countdown) and the list of rounds. The countdown ticks here
 * every second without touching anything else; the agenda is a keyed list, one item per
 * round, whose facilitator tools (start, move, remove) come from the console module.
 */
import { $, T, announce, isParticipant } from "./page.js";
import { el, fmt, keyed, setAttr, setText } from "./dom.js";
import { clockText, secondsLeft } from "./clock.js";
import { currentRound } from "./state.js";

/** A new round started: take the participant to it, unless they are typing. */
function bringToRound() {
  const active = document.activeElement;
  if (active && (active.tagName === "TEXTAREA" || active.tagName === "INPUT")) return;
  const heading = $("#round-prompt");
  heading.setAttribute("tabindex", "-1");
  heading.focus({ preventScroll: true });
  heading.scrollIntoView({ block: "start", behavior: "smooth" });
}

/** The round card and its timer. ``timeUp`` is called once when a round's time runs out. */
export function createRoundCard({ getState, timeUp }) {
  const kindNode = $("#round-kind");
  const promptNode = $("#round-prompt");
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
    const seen = announced[round.id] || (announced[round.id] = {});
    if (left === 0 && !seen.up) { seen.up = true; announce(T.time_up); timeUp(); }
    else if (left <= 60 && left > 55 && !seen.minute) { seen.minute = true; announce(T.one_minute); }
  }
  window.setInterval(tick, 1000);

  return {
    update(state) {
      if (!kindNode || !promptNode) return;
      const round = currentRound(state);
      if (!round) {
        setText(kindNode, T.phases[state.workshop.phase] || "");
        const anyStarted = state.rounds.some((r) => r.started_at);
        setText(promptNode, anyStarted ? T.round_ended : (state.rounds.length ? T.waiting_first : T.no_agenda));
      } else {
        const parts = [fmt(T.round_of, { n: round.position + 1, total: state.rounds.length }), T.kinds[round.kind]];
        if (round.kind === "vote") parts.push(T.methods[round.method]);
        setText(kindNode, parts.join(" · "));
        setText(promptNode, round.prompt || T.kinds[round.kind]);
        if (!announced[round.id]) {
          const first = Object.keys(announced).length === 0;
          announced[round.id] = { started: true };
          announce(fmt(T.round_started, { prompt: round.prompt || T.kinds[round.kind] }));
          if (!first && isParticipant) bringToRound();
        }
      }
      if (note) {
        const mode = (round && round.anonymity) || state.workshop.anonymity;
        setText(note, T.anonymity[mode] || "");
      }
      tick();
    },
  };
}

/** The agenda: one item per round, kept from event to event. ``tools`` (facilitators) adds
 * the controls of each item: `{create(view), update(view, round, index, count, state)}`. */
export function createAgenda({ tools = null } = {}) {
  const list = $("#agenda");
  if (!list) return { update() {} };
  const empty = el("li", { class: "empty", text: T.no_agenda });
  return {
    update(state) {
      keyed(list, state.rounds, {
        key: (round) => round.id,
        create: () => {
          const view = { kind: el("span", { class: "agenda-kind" }), prompt: el("span", { class: "agenda-prompt" }) };
          view.node = el("li", {}, view.kind, view.prompt);
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
          if (tools) tools.update(view, round, index, state.rounds.length, state);
        },
        empty,
      });
    },
  };
}
