/**
 * The proposals: the list every screen shows (and the facilitators' queue of proposals
 * waiting for approval), each card with its words, authors, value tags, the participant's
 * ballot controls, the facilitator's moderation and the comments. Cards are reconciled by
 * proposal id and each part of a card is patched only when its data changed, so a comment
 * being typed, an open comments section or a focused button survive people joining, voting
 * and commenting.
 */
import { $, T, announce, isFacilitator, isParticipant, isProjector, isStaff, notice, publicView } from "./page.js";
import { el, fmt, keyed, needsRedraw, setHTML, setText, syncChildren } from "./dom.js";
import { inputOpen } from "./clock.js";
import { currentRound, voteRound } from "./state.js";
import { newOpId } from "./connection.js";
import { createValueTags } from "./tags.js";

/** A stable shuffle for anonymous read-out: the same order on every screen. */
const shuffleKey = (id) => Math.imul(id ^ 0x5bd1e995, 2654435761) >>> 0;

const isVisible = (thing) => !thing.status || thing.status === "visible";

/**
 * ``ctx``: {command, staff, ballot (participants: createBallot's result), moderation
 * (facilitators: the console's createModeration and createCommentModeration)}.
 */
export function createProposals({ command, staff, ballot = null, moderation = null }) {
  const list = $("#proposals");
  if (!list) return { update() {} };
  const queue = $("#queue");
  const queueCount = $("#queue-count");
  const badge = $("#proposal-count-badge");
  const emptyList = el("li", { class: "empty", text: isStaff ? T.no_proposals_staff : T.no_proposals });
  const emptyQueue = el("li", { class: "empty", text: T.no_proposals_staff });

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
      const input = el("input", { type: "text", maxlength: "500", id: `comment-${proposalId}`,
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
    const view = { body: el("div", { class: "proposal-body" }), meta: el("p", { class: "meta" }) };
    view.tags = createValueTags({ target: "proposal_id", command, staff });
    view.ballot = ballot ? ballot.createCardBallot() : null;
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

  function updateCard(view, proposal, state) {
    const status = proposal.status || "visible";
    view.node.className = `proposal status-${status}${proposal.pinned ? " pinned" : ""}`;
    setHTML(view.body, proposal.body_html);
    drawMeta(view, state, proposal, status);
    view.tags.update(proposal, isVisible(proposal));
    let ballotNode = null;
    const round = voteRound(state);
    const current = currentRound(state);
    if (view.ballot && state.workshop.phase === "vote" && round && !["values", "vocabulary"].includes(round.kind)
        && inputOpen(current) && current && current.id === round.id) {
      ballotNode = view.ballot.update(proposal, round, state);
    }
    if (view.moderation) view.moderation.update(proposal);
    if (view.comments) view.comments.update(proposal);
    syncChildren(view.node, [view.body, view.meta, view.tags.node, ballotNode,
      view.moderation && view.moderation.node, view.comments && view.comments.node].filter(Boolean));
  }

  /** The order of the cards: pinned first; shuffled in anonymous read-out, by result once
   * there are results, newest first while proposing, else oldest first. */
  function sorted(state, proposals) {
    const results = state.vote && state.vote.results;
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

  return {
    update(state) {
      let proposals = [...state.proposals];
      if (isProjector) proposals = proposals.filter(isVisible);
      const cards = { key: (p) => p.id, create: createCard, update: (view, p) => updateCard(view, p, state) };
      if (queue) {
        const waiting = proposals.filter((p) => p.status === "pending");
        proposals = proposals.filter((p) => p.status !== "pending");
        setText(queueCount, `(${waiting.length})`);
        keyed(queue, waiting, { ...cards, empty: emptyQueue });
      }
      proposals = sorted(state, proposals);
      if (badge) setText(badge, "(" + proposals.filter(isVisible).length + ")");
      keyed(list, proposals, { ...cards, empty: emptyList });
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
