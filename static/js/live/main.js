/**
 * The live client's entry point (docs/protocol.md): it connects, keeps the one live state
 * (the snapshot, then every event through state.js's reducers), says out loud what is news,
 * and asks each view to draw its part after every change. The same page types are driven by
 * it all: the participant room, the facilitator console, the leadership view and the
 * projector (`data-role` on #live says which); this module decides which views each gets,
 * so every other module stays about one thing.
 */
import { $, T, announce, isFacilitator, isParticipant, isProjector, notice, root, workshopId } from "./page.js";
import { fmt } from "./dom.js";
import { connect } from "./connection.js";
import { apply, isParticipantState } from "./state.js";
import { noteDuel, noteRounds } from "./clock.js";
import { clauseName } from "./names.js";
import { createRoom, setConnection } from "./room.js";
import { createAgenda, createRoundCard } from "./round.js";
import { createConsole } from "./console.js";
import { createBallot } from "./ballot.js";
import { createValuesForm } from "./values.js";
import { createResults } from "./results.js";
import { createDuels } from "./duels.js";
import { createAmendments } from "./amendments.js";
import { createDocument } from "./document.js";
import { createBallotList, createMyModerated, createProposalForm, createProposals } from "./proposals.js";
import { createTask } from "./task.js";
import { createProjector } from "./projector.js";

/** What a facilitator's moderation of my proposal means, in words. */
function moderationNotice(message) {
  if (message.status === "hidden") return fmt(T.your_hidden, { reason: message.reason || "—" });
  if (message.status === "merged") return fmt(T.your_merged, { id: message.merged_into_id });
  return T.your_restored;
}

function start() {
  let state = null;
  let views = [];
  let freshSnapshot = false;
  const getState = () => state;

  /** Ask every view to bring its part up to date (each redraws only what changed). */
  const render = () => {
    if (state) for (const view of views) view.update(state);
  };

  /** Apply one of my own acknowledged changes as the server will confirm it, and draw. */
  const dispatch = (name, payload) => {
    if (!state) return;
    state = apply(state, name, payload);
    render();
  };

  /** What an event means beyond the state: news to announce, the clock, a ballot to fetch. */
  function sideEffects(name, e, before, after) {
    if (name === "proposal.submitted") {
      const isNew = !before.proposals.some((p) => p.id === e.proposal.id);
      if (isNew && e.proposal.authors && e.proposal.authors.length) {
        announce(fmt(T.new_proposal, { name: e.proposal.authors[0].name }));
      }
    } else if (name === "phase.changed") {
      announce(fmt(T.phase_announce, { phase: T.phases[e.phase] }));
    } else if (name === "document.saved") {
      announce(fmt(T.draft_saved, { number: e.version.number }));
    } else if (name === "agenda.changed") {
      noteRounds(e.rounds);
    } else if (name === "round.updated") {
      noteRounds([e.round]);
    } else if (name === "round.tallied") {
      // The results of the round that took ballots appear (it was revealed) without anything
      // else on the page moving: say so, once. A round that shows its results from the start
      // is not announced (its start is, as a new phase), nor is every later ballot.
      const same = before.vote && before.vote.round_id === e.round_id;
      if (e.results && same && !before.vote.results) {
        const round = after.rounds.find((r) => r.id === e.round_id);
        announce(fmt(T.results_shown, { round: (round && round.prompt) || T.results }));
      }
      // Another round that takes ballots took over (perhaps one reopened where I voted):
      // the reducer said I have not voted in it; ask the server for my ballot there.
      if (isParticipantState(before) && (!before.me || before.me.round_id !== e.round_id)) {
        window.setTimeout(connection.resync, 0);
      }
    } else if (name === "duel.started") {
      noteDuel(e.duel);
      announce(fmt(T.duel_started, { clause: clauseName(after, e.duel.clause_key) || "" }));
    } else if (name === "duel.updated") {
      noteDuel(e.duel);
      const was = (before.duels || []).find((d) => d.id === e.duel.id);
      if (was && was.status === "open" && e.duel.status === "decided") {
        announce(fmt(T.duel_decided, { clause: clauseName(after, e.duel.clause_key) || "" }));
      }
    } else if (name === "clause.mine") {
      // A later change to the same clause re-sends the answer: speak up only when it is news.
      const was = (before.my_clause_votes || {})[String(e.clause_key)];
      const news = !!e.vote && (!was || !was.stale || JSON.stringify(was.diff) !== JSON.stringify(e.vote.diff));
      if (news && e.vote.stale) announce(fmt(T.stale_announce, { clause: clauseName(after, e.clause_key) || "" }));
    }
  }

  let connection = null;
  const command = (name, payload) => connection.command(name, payload);
  const emitNow = (name, payload) => connection.emitNow(name, payload);
  const facilitation = isFacilitator ? createConsole({ command, getState }) : null;
  const staff = facilitation ? facilitation.staff : command;
  const ballot = isParticipant ? createBallot({ command, getState, dispatch, render }) : null;
  const duels = createDuels({ command, dispatch });
  const amendments = createAmendments({ command, staff, getState });
  const documentView = createDocument({ command, emitNow, getState, render, dispatch,
    duels, amendments });
  // The projector is a wall of its own (projector.js); every other page is built from the views.
  views = isProjector ? createProjector({ getState }) : [
    createRoom(),
    isParticipant ? createTask() : null,
    facilitation,
    createRoundCard({ getState, timeUp: render }),
    createAgenda({ tools: facilitation && facilitation.agendaTools }),
    ballot,
    isParticipant ? createValuesForm({ command, getState, dispatch }) : null,
    createResults(),
    documentView,
    duels, // after the draft, which draws the duels the first screen's line takes people to
    amendments,
    createProposals({ command, staff, moderation: facilitation }),
    isParticipant ? createBallotList({ command, staff, ballot }) : null,
    isParticipant ? createMyModerated() : null,
  ].filter(Boolean);
  if (isParticipant) createProposalForm({ command });

  const sink = {
    snapshot(snapshot) {
      state = snapshot;
      freshSnapshot = true;
      root.setAttribute("aria-busy", "false");
      noteRounds(state.rounds);
      (state.duels || []).forEach(noteDuel);
    },
    event(name, event) {
      const before = state;
      state = apply(state, name, event);
      sideEffects(name, event, before, state);
    },
    personal(name, payload) {
      // The two moderation notices are messages for the author: tell them (a hidden or merged
      // proposal is also listed under the proposal form, where one shows).
      if (name === "proposal.moderated") {
        const task = $("#my-moderated") && $("#my-moderated").closest("[data-when]");
        if (payload.status !== "visible" && task && !task.hidden) {
          announce(moderationNotice(payload));
        } else {
          notice(moderationNotice(payload));
        }
      } else if (name === "comment.moderated") {
        notice(fmt(T.your_hidden, { reason: payload.reason || "—" }));
      }
      if (!state) return;
      const before = state;
      state = apply(state, name, payload);
      sideEffects(name, payload, before, state);
      render();
    },
    settled() {
      render();
      if (freshSnapshot) {
        freshSnapshot = false;
        documentView.afterSnapshot();
      }
    },
    status: setConnection,
  };
  connection = connect({ workshopId, projector: isProjector, unconfirmed: T.unconfirmed, sink });
  // Back from sleep or another tab: the countdowns' clock may have stood still meanwhile
  // (clock.js), and the server's time comes with a fresh snapshot.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && connection.connected) connection.resync();
  });
  // A page served with its snapshot (the room, the console) draws it at once, so nothing moves
  // when the socket connects; the socket's own snapshot then replaces it (connection.js holds
  // events back until that one, as always, and keeps any command given meanwhile).
  const served = document.getElementById("first-snapshot");
  if (served) {
    sink.snapshot(JSON.parse(served.textContent));
    sink.settled();
  }
}

if (root) start();
