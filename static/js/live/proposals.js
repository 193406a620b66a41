/**
 * The proposals: the list every screen shows (and the facilitators' queue of proposals
 * waiting for approval), each card with its words, authors, value tags, the facilitator's
 * moderation and the comments; and, for a participant, the ballot list of the vote task
 * (only the proposals on this round's ballot, each with its ballot controls). What a
 * participant's list holds follows the task (task.js): while proposing, this round's
 * proposals with the tools to tag them; while voting on proposals, nothing (the ballot is
 * the task); otherwise every proposal, folded away. Cards are reconciled by proposal id and
 * each part of a card is patched only when its data changed, so a comment being typed, an
 * open comments section or a focused button survive people joining, voting and commenting.
 */
import { $, T, announce, isFacilitator, isParticipant, isProjector, isStaff, notice, publicView } from "./page.js";
import { el, fmt, keyed, needsRedraw, plainText, setHTML, setText, syncChildren } from "./dom.js";
import { ballotProposals, voteRound, votesOnProposals } from "./state.js";
import { newOpId } from "./connection.js";
import { createValueTags } from "./tags.js";
import { taskOf } from "./task.js";

/** A stable shuffle for anonymous read-out: the same order on every screen. */
const shuffleKey = (id) => Math.imul(id ^ 0x5bd1e995, 2654435761) >>> 0;

const isVisible = (thing) => !thing.status || thing.status === "visible";
let cardsMade = 0; // every card's body gets an id of its own

/**
 * The cards of one list. ``ctx``: {command, staff, ballot (participants: createBallot's
 * result), moderation (facilitators: the console's createModeration and
 * createCommentModeration), prefix (for the ids inside the cards, unique per list)}.
 * `update(view, proposal, state, show)` takes what the list shows now: ``show.tagging`` (a
 * tag may be added or supported: a participant proposing), ``show.tags`` (the chips at all),
 * ``show.ballotRound`` (the round whose ballot controls the card carries, or null).
 */
function createCards({ command, staff, ballot = null, moderation = null, prefix = "" }) {
  function authorsOf(state, proposal) {
    let authors = proposal.authors || [];
    // The projector shows what participants would see.
    if (isProjector && (state.workshop.readout_anonymous || proposal.anonymity !== "named")) authors = [];
    return authors.map((a) => a.name + " · " + a.level + (a.department ? " · " + a.department : "")).join("; ");
  }

  // -- comments ------------------------------------------------------------------------------
  function createComment() {
    const view = { text: el("div"), who: el("p", { class: "meta" }) };
    view.node = el("li", {}, view.text);
    if (isFacilitator) {
      view.pending = el("span", { class: "tag", text: T.pending });
      view.moderate = moderation.createCommentModeration();
    }
    return view;
  }

  function updateComment(view, comment) {
    view.node.className = `comment status-${comment.status || "visible"}`;
    setHTML(view.text, comment.body_html);
    const who = comment.author ? comment.author.name : "";
    setText(view.who, who);
    if (view.moderate) view.moderate.update(comment);
    syncChildren(view.node, [view.text, who ? view.who : null,
      view.pending && comment.status === "pending" ? view.pending : null,
      view.moderate ? view.moderate.node : null].filter(Boolean));
  }

  function createComments(proposalId) {
    const view = { summary: el("summary"), list: el("ul") };
    view.node = el("details", { class: "comments" }, view.summary, view.list);
    if (isParticipant) {
      const input = el("input", { type: "text", maxlength: "500", id: `${prefix}comment-${proposalId}`,
        "aria-label": T.add_comment, placeholder: T.add_comment });
      const form = el("form", { class: "comment-form" }, input,
        el("button", { type: "submit", class: "small", text: T.send }));
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        if (!input.value.trim()) return;
        const ack = await command("comment.add", { proposal_id: proposalId, body: input.value, op_id: newOpId() });
        if (ack.ok) {
          input.value = "";
          if (ack.status === "pending") notice(T.comment_pending);
        } else {
          notice(ack.error.message);
        }
      });
      view.node.append(form);
    }
    view.update = (proposal) => {
      const comments = proposal.comments || [];
      setText(view.summary, `${T.comments} (${comments.filter(isVisible).length})`);
      keyed(view.list, comments, { key: (c) => c.id, create: createComment, update: updateComment });
    };
    return view;
  }

  // -- a card --------------------------------------------------------------------------------
  function createCard(proposal) {
    // An id of its own (a card can be on two lists): its vote controls name it as theirs.
    cardsMade += 1;
    const body = el("div", { class: "proposal-body", id: `card-body-${cardsMade}` });
    const view = { body, meta: el("p", { class: "meta" }) };
    view.tags = createValueTags({ target: "proposal_id", command, staff });
    view.ballot = ballot ? ballot.createCardBallot(body.id) : null;
    view.moderation = isFacilitator ? moderation.createModeration() : null;
    view.comments = isProjector ? null : createComments(proposal.id);
    view.node = el("li", { "data-proposal-id": String(proposal.id) });
    return view;
  }

  function drawMeta(view, state, proposal, status) {
    const authors = authorsOf(state, proposal);
    if (!needsRedraw(view.meta, [proposal.id, authors, proposal.pinned, status, proposal.hidden_reason,
      proposal.merged_into_id])) return;
    const parts = [];
    if (isStaff && !isProjector) parts.push(el("span", { class: "card-number", text: `#${proposal.id} ` }));
    if (authors) parts.push(el("span", { class: "author", text: authors }));
    if (proposal.pinned) parts.push(el("span", { class: "tag tag-neutral", text: T.pinned }));
    if (status === "pending") parts.push(el("span", { class: "tag", text: T.pending }));
    if (status === "hidden") {
      parts.push(el("span", { class: "tag", text: T.hidden_reason_label + (proposal.hidden_reason ? ": " + proposal.hidden_reason : "") }));
    }
    if (status === "merged") parts.push(el("span", { class: "tag", text: fmt(T.merged_into, { id: proposal.merged_into_id }) }));
    view.meta.replaceChildren(...parts);
  }

  function updateCard(view, proposal, state, show) {
    const status = proposal.status || "visible";
    view.node.className = `proposal status-${status}${proposal.pinned ? " pinned" : ""}`;
    setHTML(view.body, proposal.body_html);
    drawMeta(view, state, proposal, status);
    const tagged = show.tags && (show.tagging || (proposal.values || []).length > 0);
    if (tagged) view.tags.update(proposal, show.tagging && isVisible(proposal), isVisible(proposal));
    const ballotNode = view.ballot && show.ballotRound ? view.ballot.update(proposal, show.ballotRound, state) : null;
    if (view.moderation) view.moderation.update(proposal);
    if (view.comments) view.comments.update(proposal);
    syncChildren(view.node, [view.body, view.meta, tagged ? view.tags.node : null, ballotNode,
      view.moderation && view.moderation.node, view.comments && view.comments.node].filter(Boolean));
  }

  return { createCard, updateCard };
}

/** The order of the cards: pinned first; shuffled in anonymous read-out, by result once
 * there are results (``byResult``), newest first while proposing, else oldest first. */
function sorted(state, proposals, { byResult = true } = {}) {
  const results = byResult && state.vote && state.vote.results;
  const place = new Map(((results && results.ranking) || []).map((id, i) => [id, i]));
  const order = [...proposals];
  if (state.workshop.readout_anonymous && publicView) {
    order.sort((a, b) => shuffleKey(a.id) - shuffleKey(b.id));
  } else if (place.size) {
    order.sort((a, b) => (place.get(a.id) ?? 1e9) - (place.get(b.id) ?? 1e9) || a.id - b.id);
  } else if (state.workshop.phase === "propose") {
    order.sort((a, b) => b.id - a.id);
  } else {
    order.sort((a, b) => a.id - b.id);
  }
  return order.sort((a, b) => Number(b.pinned) - Number(a.pinned));
}

/** What a participant's proposal list is for now: "propose" (this round's proposals, the
 * list open under the form), "ballot" (a vote on proposals: the ballot list is the task, this
 * list steps aside) or "all" (every proposal, folded away). */
export function proposalsMode(state) {
  const task = taskOf(state);
  if (task.phase === "propose" && task.round) return "propose";
  if (task.phase === "vote" && votesOnProposals(voteRound(state))) return "ballot";
  return "all";
}

/**
 * The list of proposals on every page (#proposals). ``ctx``: {command, staff, ballot,
 * moderation}, as for the cards.
 */
export function createProposals({ command, staff, moderation = null }) {
  const list = $("#proposals");
  if (!list) return { update() {} };
  const queue = $("#queue");
  const queueCount = $("#queue-count");
  const badge = $("#proposal-count-badge");
  const fold = isParticipant ? $("#proposals-fold") : null;
  const heading = $("#proposals-heading");
  const queueCard = queue ? queue.closest(".queue-card") : null;
  const emptyList = el("li", { class: "empty", text: isStaff ? T.no_proposals_staff : T.no_proposals });
  const cards = createCards({ command, staff, moderation });

  /** A participant's list, as the task asks (see proposalsMode). */
  function participantList(state) {
    const mode = proposalsMode(state);
    if (fold && fold.dataset.mode !== mode) {
      fold.dataset.mode = mode;
      fold.open = mode === "propose";
    }
    // Nothing to unfold is no fold at all (a values round before anyone proposed).
    if (fold) fold.hidden = mode === "ballot" || (mode === "all" && !state.proposals.some(isVisible));
    if (heading) setText(heading, mode === "propose" ? T.proposals_this_round : T.all_proposals);
    const round = taskOf(state).round;
    const proposals = mode === "propose" ? state.proposals.filter((p) => p.round_id === round.id) : state.proposals;
    return { proposals, show: { tags: mode !== "ballot", tagging: mode === "propose", ballotRound: null } };
  }

  return {
    update(state) {
      let proposals = [...state.proposals];
      // Staff see the tags; adding one is the participants' task while proposing (a facilitator
      // confirms or removes a tag on its chip, tags.js).
      let show = { tags: true, tagging: false, ballotRound: null };
      if (isParticipant) ({ proposals, show } = participantList(state));
      if (isProjector) proposals = proposals.filter(isVisible);
      const options = { key: (p) => p.id, create: cards.createCard,
        update: (view, p) => cards.updateCard(view, p, state, show) };
      let waiting = [];
      if (queue) {
        // The queue holds what waits for approval; its count says when nothing does.
        waiting = proposals.filter((p) => p.status === "pending");
        proposals = proposals.filter((p) => p.status !== "pending");
        setText(queueCount, `(${waiting.length})`);
        keyed(queue, waiting, options);
        queue.hidden = !waiting.length;
        if (queueCard) queueCard.classList.toggle("is-empty", !waiting.length);
      }
      proposals = sorted(state, proposals);
      if (badge) setText(badge, "(" + proposals.filter(isVisible).length + ")");
      // "No proposals yet" only when there are none: all of them may be waiting in the queue.
      setText(emptyList, waiting.length ? T.all_waiting : isStaff ? T.no_proposals_staff : T.no_proposals);
      keyed(list, proposals, { ...options, empty: emptyList });
    },
  };
}

/**
 * A participant's ballot list in the vote task (#ballot): the proposals on this round's
 * ballot and nothing else, each with its ballot controls (disabled, showing my ballot, once
 * the round takes no votes), its words, authors and comments; no value tags (tagging is not
 * the task while voting). Kept in a steady order while people vote: pinned, then oldest first.
 */
export function createBallotList({ command, staff, ballot }) {
  const list = $("#ballot");
  if (!list || !ballot) return { update() {} };
  const box = $("#ballot-box");
  const count = $("#ballot-count");
  const empty = el("li", { class: "empty", text: T.ballot_empty });
  const cards = createCards({ command, staff, ballot, prefix: "ballot-" });
  return {
    update(state) {
      const round = voteRound(state);
      const shown = state.workshop.phase === "vote" && votesOnProposals(round);
      box.hidden = !shown;
      if (!shown) return;
      const proposals = sorted(state, ballotProposals(state, round), { byResult: false });
      setText(count, `(${proposals.length})`);
      const show = { tags: false, tagging: false, ballotRound: round };
      keyed(list, proposals, { key: (p) => p.id, create: cards.createCard,
        update: (view, p) => cards.updateCard(view, p, state, show), empty });
    },
  };
}

/** What moderation told me about my proposals (the snapshot's `my_moderated`, kept by the
 * reducer): a small list near the proposal form, so a reload says it too. */
export function createMyModerated() {
  const list = $("#my-moderated");
  if (!list) return { update() {} };
  return {
    update(state) {
      const items = state.my_moderated || [];
      list.hidden = !items.length;
      keyed(list, items, {
        key: (m) => m.proposal_id,
        create: () => {
          const view = { words: el("q"), what: el("span") };
          view.node = el("li", { class: "flash" }, view.words, " ", view.what);
          return view;
        },
        update: (view, m) => {
          setText(view.words, plainText(m.body_html || "", 80));
          setText(view.what, m.status === "merged" ? fmt(T.your_merged, { id: m.merged_into_id })
            : fmt(T.your_hidden, { reason: m.reason || "—" }));
        },
      });
    },
  };
}

/** The participant's form to propose wording (the propose section); it keeps nothing live. */
export function createProposalForm({ command }) {
  const form = $("#proposal-form");
  if (!form) return;
  const body = $("#proposal-body");
  const counter = $("#proposal-count");
  const updateCounter = () => {
    counter.textContent = fmt(T.chars_left, { left: body.maxLength - body.value.length });
  };
  body.addEventListener("input", updateCounter);
  updateCounter();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = $("#proposal-error");
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    const ack = await command("proposal.submit", { body: body.value, op_id: newOpId() });
    button.disabled = false;
    if (ack.ok) {
      body.value = "";
      updateCounter();
      error.textContent = "";
      announce(ack.status === "pending" ? T.pending_sent : T.sent);
      if (ack.status === "pending") notice(T.pending_sent);
    } else {
      error.textContent = ack.error.message;
    }
    body.focus();
  });
}
