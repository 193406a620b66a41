/**
 * The live state as data: the snapshot the server sends, and one pure function per event
 * type that returns the next state (docs/protocol.md §7, "Apply to state"). Nothing here
 * touches the DOM, the socket or the clock, so that "snapshot plus events" is plain data a
 * reader can check against the protocol, and so that views can tell what changed by
 * comparing objects: a reducer replaces only the parts an event changes and shares the rest.
 * The selectors at the end answer the questions several views ask of a state.
 */

/** Replace the item with the same id, or add it at the end. */
function upsert(items, item) {
  const list = items || [];
  const index = list.findIndex((x) => x.id === item.id);
  if (index === -1) return [...list, item];
  const next = [...list];
  next[index] = item;
  return next;
}

/** Replace the item with the same id, or add it; kept sorted by id (oldest first). */
const upsertById = (items, item) =>
  [...(items || []).filter((x) => x.id !== item.id), item].sort((a, b) => a.id - b.id);

const wordingOf = (e) => ({ consent: e.consent || {}, budget: e.budget, coverage: e.coverage, words: e.words });

const runningRoundId = (rounds) => {
  const running = rounds.find((r) => r.status === "running" || r.status === "paused");
  return running ? running.id : null;
};

/** Sequenced workshop events (they carry `seq`). */
const EVENTS = {
  "seq.skip": (state) => state,
  "proposal.submitted": (state, e) => ({ ...state, proposals: upsert(state.proposals, e.proposal) }),
  "proposal.updated": (state, e) => ({ ...state, proposals: upsert(state.proposals, e.proposal) }),
  "proposal.removed": (state, e) => ({
    ...state, proposals: state.proposals.filter((p) => p.id !== e.proposal_id) }),
  "phase.changed": (state, e) => ({
    ...state, workshop: { ...state.workshop, phase: e.phase, phase_changed_at: e.phase_changed_at } }),
  "presence.changed": (state, e) => ({ ...state, presence: e.presence }),
  "workshop.updated": (state, e) => ({ ...state, workshop: e.workshop }),
  "agenda.changed": (state, e) => ({ ...state, rounds: e.rounds, current_round_id: runningRoundId(e.rounds) }),
  "round.updated": (state, e) => ({
    ...state, rounds: state.rounds.map((r) => (r.id === e.round.id ? e.round : r)) }),
  "round.tallied": (state, e) => {
    const next = { ...state, vote: { round_id: e.round_id, voters: e.voters, results: e.results || null } };
    // Another round that takes ballots took over: until the server says, I have not voted in it.
    if (isParticipantState(state) && (!state.me || state.me.round_id !== e.round_id)) {
      next.me = { round_id: e.round_id, voted: false, ballot: null };
    }
    return next;
  },
  "document.saved": (state, e) => ({ ...state, document: e.version, wording: wordingOf(e) }),
  "document.wording": (state, e) => ({ ...state, wording: wordingOf(e) }),
  "clause.consent": (state, e) => {
    const wording = state.wording || { consent: {} };
    return { ...state, wording: { ...wording,
      consent: { ...(wording.consent || {}), [String(e.clause_key)]: e.consent } } };
  },
  "clause.editing": (state, e) => ({ ...state, editors: e.editors || {} }),
  "amendment.proposed": (state, e) => ({ ...state, amendments: upsertById(state.amendments, e.amendment) }),
  "amendment.updated": (state, e) => ({ ...state, amendments: upsertById(state.amendments, e.amendment) }),
  "duel.started": (state, e) => ({ ...state, duels: upsertById(state.duels, e.duel) }),
  "duel.updated": (state, e) => ({ ...state, duels: upsertById(state.duels, e.duel) }),
};

/** Personal messages (no `seq`): my own answers, absolute; and notices that change nothing. */
const PERSONAL = {
  "ballot.mine": (state, e) => ({ ...state, me: e }),
  "amendment.mine": (state, e) => ({
    ...state, my_amendment_votes: { ...(state.my_amendment_votes || {}), [String(e.amendment_id)]: e.choice } }),
  "clause.mine": (state, e) => ({
    ...state, my_clause_votes: { ...(state.my_clause_votes || {}), [String(e.clause_key)]: e.vote } }),
  "duel.mine": (state, e) => ({
    ...state, my_duel_votes: { ...(state.my_duel_votes || {}), [String(e.duel_id)]: e.ranking } }),
  // What moderation told me about my proposals (hidden, merged), kept so a reload says it too.
  "proposal.moderated": (state, e) => {
    const others = (state.my_moderated || []).filter((m) => m.proposal_id !== e.proposal_id);
    return { ...state, my_moderated: e.status === "visible" ? others : [...others, e] };
  },
  "comment.moderated": (state) => state,
};

export const SEQUENCED_EVENTS = Object.keys(EVENTS);
export const PERSONAL_MESSAGES = Object.keys(PERSONAL);

/** The state after ``event`` (named ``name``); the given state is never changed. */
export function apply(state, name, event) {
  const reducer = EVENTS[name] || PERSONAL[name];
  return reducer ? reducer(state, event) : state;
}

// ---- selectors -----------------------------------------------------------------------
export function isParticipantState(state) {
  return !!state.viewer && state.viewer.kind === "participant";
}

/** The running or paused round, or null. */
export const currentRound = (state) =>
  state.rounds.find((r) => r.id === state.current_round_id) || null;

/** The round a participant's task belongs to: the current round, or else the round that
 * started last (it has ended, and the screen still shows it, closed), or null. */
export function taskRound(state) {
  const current = currentRound(state);
  if (current) return current;
  let latest = null;
  for (const r of state.rounds) {
    if (r.started_at && (!latest || Date.parse(r.started_at) > Date.parse(latest.started_at))) latest = r;
  }
  return latest;
}

/** The round that takes ballots started most recently (its tallies are in `vote`), or null. */
export const voteRound = (state) =>
  (state.vote && state.rounds.find((r) => r.id === state.vote.round_id)) || null;

export const proposalById = (state, id) => state.proposals.find((p) => p.id === id);

/** The proposals a vote round chooses among: those of its propose round (`proposals_from`),
 * or every visible proposal when it names none (docs/protocol.md §3, round). */
export function ballotProposals(state, round) {
  const visible = state.proposals.filter((p) => !p.status || p.status === "visible");
  if (!round || round.proposals_from == null) return visible;
  return visible.filter((p) => p.round_id === round.proposals_from);
}

/** A vote round whose ballot is about proposals (not values, words or clauses). */
export const votesOnProposals = (round) => !!round && round.kind === "vote";

/** My ballot in the vote round ({} when none). */
export const myBallot = (state) => (state.me && state.me.ballot) || {};

export const documentClauses = (state) => (state && state.document && state.document.clauses) || [];

/** The latest version is the final mission: nothing about its words changes until a
 * facilitator reopens it. */
export const documentFinal = (state) => !!(state.document && state.document.final);
