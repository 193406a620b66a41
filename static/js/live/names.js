/**
 * How things are named on screen, derived from the state: a proposal as "We care for…" (staff:
 * "#7 We care for…"),
 * a clause by its heading (or "Clause 2" when it has none). Results, ballots, amendments,
 * duels and announcements all name the same things, so they ask here and always agree.
 */
import { T, isProjector, isStaff } from "./page.js";
import { fmt, plainText } from "./dom.js";
import { documentClauses, proposalById } from "./state.js";

/** A proposal's words as results show them: whole for any wording a mission takes (a
 * sentence or two), cut only past this many characters. */
export const WHOLE_WORDING = 240;
/** A proposal's words where its card is near (my ranking, above the ballot) and in a
 * control's name ("Move up: …"), which a screen reader reads with every button of the list. */
export const SHORT_WORDING = 60;

/** "#7 We care for everyone": a proposal's number (for staff, whose cards show it) and its
 * words (cut to ``limit`` characters). Participants and the wall see no numbers anywhere
 * else, and in a ranking "#9" read as a place. */
export function proposalLabel(state, id, limit = WHOLE_WORDING) {
  const proposal = proposalById(state, id);
  const words = proposal ? plainText(proposal.body_html, limit) : "";
  return isStaff && !isProjector ? `#${id} ${words}` : words;
}

/** A clause's heading, or "Clause n" by its place in the document. */
export const clauseTitle = (clause, index) => clause.heading || fmt(T.clause_n, { n: index + 1 });

/** The title of the clause with this key in the latest version, or null. */
export function clauseName(state, key) {
  const clauses = documentClauses(state);
  const index = clauses.findIndex((c) => c.key === key);
  return index === -1 ? null : clauseTitle(clauses[index], index);
}

/** Where a clause stands in the latest version (unknown clauses come last). */
export function clauseOrder(state, key) {
  const clauses = documentClauses(state);
  const index = clauses.findIndex((c) => c.key === key);
  return index < 0 ? clauses.length : index;
}
