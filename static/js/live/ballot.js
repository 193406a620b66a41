/**
 * A participant's ballot in the round that takes ballots (docs/protocol.md §9): the vote
 * task's panel ("you voted", dots left, my ranking, the vocabulary ballot; the round card
 * above it names the method) and the controls on each item of its ballot list (dots,
 * approval, score, ranking, consent). Each item's controls are built once per round and then
 * only patched, and a choice is set from my ballot only when my ballot changes, so a
 * half-made choice (a consent reason being typed) is never undone by someone else's vote.
 * Once the round stops taking votes (time is up, paused, ended) the controls stay, showing
 * my ballot, but are disabled, and the status line no longer says I can change it.
 */
import { $, T } from "./page.js";
import { el, firstUsable, fmt, keepFocusNear, keyed, needsRedraw, plural, setAttr, setText } from "./dom.js";
import { inputOpen } from "./clock.js";
import { currentRound, myBallot, voteRound } from "./state.js";
import { SHORT_WORDING, proposalLabel } from "./names.js";
import { newOpId } from "./connection.js";

/** The ballot of one participant. ``ctx``: {command, getState, dispatch, render}. */
export function createBallot({ command, getState, dispatch, render }) {
  // Bumped when a choice sent at once (a box, a score, a word) is refused: the controls then
  // show my ballot again, as it still is.
  let refusals = 0;

  function afterVote(ack) {
    const error = $("#vote-error");
    if (ack.ok) {
      if (error) error.textContent = "";
      dispatch("ballot.mine", { round_id: ack.me.round_id, voted: true, ballot: ack.me.ballot });
    } else {
      if (error) error.textContent = ack.error.message;
      refusals += 1;
      render();
    }
  }

  // The ballot as this person last chose it while it is on its way. The next choice builds on
  // it, not on the last confirmed ballot (older while a cast is in flight: a second box ticked
  // before the first was confirmed would otherwise send a ballot without the first), and casts
  // go one at a time, the latest last, so the server keeps the latest choice.
  let draft = null;
  let queued = null;
  let sending = false;
  // Reasons typed in consent answers the server refused (the round ended while the line was
  // down), by proposal id: they stay in their box, not replaced by the answer the server has.
  const refusedReasons = {};
  const ballotNow = () => draft || myBallot(getState());
  const shownBallot = (state) => draft || myBallot(state);

  async function cast(ballot) {
    draft = ballot;
    queued = ballot;
    if (sending) return; // sent when the one in flight is answered
    sending = true;
    try {
      while (queued) {
        const next = queued;
        queued = null;
        // An operation id: resent after a lost acknowledgement, it is applied once.
        const ack = await command("ballot.cast", { ballot: next, round_id: voteRound(getState()).id, op_id: newOpId() });
        if (!ack.ok || !queued) {
          // Refused (later choices build on the same refused ballot: dropped with it), or the
          // latest choice confirmed: my ballot is the server's again.
          for (const [id, answer] of Object.entries(next.consent || {})) {
            if (ack.ok || !answer.reason) delete refusedReasons[id];
            else refusedReasons[id] = answer.reason;
          }
          draft = null;
          queued = null;
          afterVote(ack);
        }
      }
    } catch (error) {
      draft = null;
      queued = null;
      throw error;
    } finally {
      sending = false;
    }
  }

  async function setDots(proposalId, dots) {
    // The round these dots are for: a resend after a reconnect never lands in a later one.
    const round = voteRound(getState());
    const ack = await command("vote.set", { proposal_id: proposalId, dots, round_id: round ? round.id : null, op_id: newOpId() });
    const card = $(`#ballot [data-proposal-id="${proposalId}"]`);
    const pressed = card && card.querySelector(`[data-vote="${dots > 0 ? "plus" : "minus"}"]`);
    const hadFocus = pressed && document.activeElement === pressed;
    afterVote(ack);
    if (ack.ok && card) {
      // The button pressed keeps the focus; once it is disabled (the last dot spent, none
      // left to take back), the other one of the card takes it.
      const other = card.querySelector(`[data-vote="${dots > 0 ? "minus" : "plus"}"]`);
      const target = firstUsable([pressed, other]);
      if (target && (hadFocus || document.activeElement === document.body)) target.focus();
    }
  }

  /** The round takes my vote now: it is the current round, running, with time left. */
  function votingOpen(state, round) {
    const current = currentRound(state);
    return !!current && current.id === round.id && inputOpen(current);
  }

  // The dot controls of every card: their taps still on the way count as spent.
  const dotViews = new Set();
  const pendingDots = () => [...dotViews].reduce((sum, v) => sum + (v.pending != null ? v.pending - v.mine : 0), 0);

  function dotsLeft(state, round) {
    const visible = new Set(state.proposals.map((p) => String(p.id)));
    const dots = myBallot(state).dots || {};
    const spent = Object.entries(dots).reduce((sum, [id, n]) => sum + (visible.has(id) ? n : 0), 0);
    return Math.max(round.dots_budget - spent - pendingDots(), 0);
  }

  // -- the panel ---------------------------------------------------------------------------
  const status = $("#ballot-status");
  const budget = $("#budget");
  const rankingPanel = $("#my-ranking");
  const vocabularyPanel = $("#vocabulary-ballot");
  const ranking = rankingPanel && {
    heading: el("h3", { text: T.my_ranking }),
    list: el("ol", { class: "ranking" }),
    empty: el("p", { class: "empty", text: T.empty_ranking }),
  };

  function updateRanking(state, round) {
    rankingPanel.hidden = round.method !== "ranked";
    if (rankingPanel.hidden) return;
    const order = shownBallot(state).ranking || [];
    const closed = !votingOpen(state, round);
    const move = (id, to) => {
      const next = [...(ballotNow().ranking || [])];
      next.splice(next.indexOf(id), 1);
      if (to !== null) next.splice(to, 0, id);
      cast({ ranking: next });
    };
    // The focused tool of an item (which item, which tool, where): pressed, it may be disabled
    // (↑ at the top, ↓ at the bottom) or go with its item (Remove); the focus then stays near.
    const active = document.activeElement;
    const focused = [...(ranking.list._views || new Map()).values()]
      .flatMap((view) => ["up", "down", "remove"].map((tool) => ({ view, tool })))
      .find(({ view, tool }) => view[tool] === active);
    keyed(ranking.list, order, {
      key: (id) => id,
      create: (id) => {
        const view = { text: el("span"), proposalId: id };
        view.up = el("button", { type: "button", class: "small", text: "↑", onclick: () => move(id, view.index - 1) });
        view.down = el("button", { type: "button", class: "small", text: "↓", onclick: () => move(id, view.index + 1) });
        view.remove = el("button", { type: "button", class: "small", text: T.remove, onclick: () => move(id, null) });
        view.node = el("li", {}, view.text, el("span", { class: "agenda-tools" }, view.up, view.down, view.remove));
        return view;
      },
      update: (view, id, index) => {
        // The start of its words: the whole wording is on its ballot card just below, and a
        // longer line here would push the ballot off a phone's first screen.
        const label = proposalLabel(state, id, SHORT_WORDING);
        view.index = index;
        setText(view.text, label);
        setAttr(view.up, "aria-label", `${T.move_up}: ${label}`);
        setAttr(view.down, "aria-label", `${T.move_down}: ${label}`);
        setAttr(view.remove, "aria-label", `${T.remove}: ${label}`);
        view.up.disabled = closed || index === 0;
        view.down.disabled = closed || index === order.length - 1;
        view.remove.disabled = closed;
      },
    });
    const wanted = [ranking.heading, order.length ? ranking.list : ranking.empty];
    if (rankingPanel.children[0] !== wanted[0] || rankingPanel.children[1] !== wanted[1]
        || rankingPanel.children.length !== 2) {
      rankingPanel.replaceChildren(...wanted);
    }
    if (focused) refocusRanking(focused, order);
  }

  /** After a move or a removal in my ranking: the same tool of the same item if it can still
   * be pressed, else another tool of that item; for an item removed, the same tool of the
   * item now in its place, else of the one before (a ranking is never emptied: the server
   * refuses an empty one, and the last item stays with its focus). */
  function refocusRanking({ view, tool }, order) {
    const views = ranking.list._views;
    const was = view[tool];
    if (views.get(view.proposalId) === view) {
      keepFocusNear(was, [view.up, view.down, view.remove]);
      return;
    }
    const near = [order[view.index], order[view.index - 1]].map((id) => views.get(id)).filter(Boolean);
    keepFocusNear(was, near.flatMap((other) => [other[tool], other.remove]));
  }

  function updateVocabulary(state, round) {
    vocabularyPanel.hidden = round.kind !== "vocabulary";
    if (vocabularyPanel.hidden) return;
    if (needsRedraw(vocabularyPanel, [round.id, round.words])) {
      vocabularyPanel._radios = [];
      vocabularyPanel.replaceChildren(...Object.keys(T.categories).map((category) => {
        const words = (round.words || []).filter((w) => w.category === category);
        if (!words.length) return null;
        return el("fieldset", { class: "value-group" }, el("legend", { text: T.categories[category] }),
          ...words.map((w, i) => {
            const id = `word-${category}-${i}`;
            const option = (choice, text) => {
              const input = el("input", { type: "radio", name: id, id: `${id}-${choice}`, value: choice,
                onchange: () => cast({ votes: { ...(ballotNow().votes || {}), [w.word]: choice } }) });
              vocabularyPanel._radios.push({ input, word: w.word, choice });
              return el("span", { class: "score-option" }, input, el("label", { for: `${id}-${choice}`, text }));
            };
            return el("div", { class: "word-vote" }, el("strong", { text: w.word }),
              option("include", T.include), option("exclude", T.exclude));
          }));
      }).filter(Boolean));
      vocabularyPanel._votes = undefined;
    }
    const votes = shownBallot(state).votes || {};
    const open = votingOpen(state, round);
    const sync = JSON.stringify([refusals, votes]) !== vocabularyPanel._votes;
    vocabularyPanel._votes = JSON.stringify([refusals, votes]);
    for (const { input, word, choice } of vocabularyPanel._radios) {
      if (sync) input.checked = votes[word] === choice;
      input.disabled = !open;
    }
  }

  // -- the controls on a card ---------------------------------------------------------------
  const BUILD = {
    // Each control is described by its card's words (``view.about``), so a screen reader
    // says "Add a dot, button, We listen first", not the same words on every card.
    dot(view) {
      // Each tap builds on the taps still on their way (three taps on a slow or dead line
      // are three dots, not three times "one dot"), and shows at once.
      // A tap past the budget or the cap, or below none, sends nothing.
      dotViews.add(view);
      const tap = (step) => {
        const state = getState();
        const round = voteRound(state);
        const current = view.pending ?? view.mine;
        const next = Math.max(0, current + step);
        if (!round || next === current) return;
        if (step > 0 && (dotsLeft(state, round) <= 0 || (round.dots_cap != null && next > round.dots_cap))) return;
        view.pending = next;
        view.inFlight = (view.inFlight || 0) + 1;
        const pressed = step > 0 ? view.plus : view.minus;
        const focused = document.activeElement === pressed;
        render(); // the count, both buttons and the dots left follow at once
        if (focused) keepFocusNear(pressed, [pressed, step > 0 ? view.minus : view.plus]);
        setDots(view.proposal.id, next).finally(() => {
          view.inFlight -= 1;
          if (!view.inFlight) view.pending = null;
          render();
        });
      };
      view.minus = el("button", { type: "button", text: "−", "aria-label": T.remove_dot, "data-vote": "minus",
        "aria-describedby": view.about, onclick: () => tap(-1) });
      view.count = el("output", { class: "my-dots" });
      view.plus = el("button", { type: "button", text: "+", "aria-label": T.add_dot, "data-vote": "plus",
        "aria-describedby": view.about, onclick: () => tap(1) });
      return el("div", { class: "vote-controls", role: "group", "aria-label": T.your_dots },
        view.minus, view.count, view.plus);
    },
    approval(view, id) {
      view.box = el("input", { type: "checkbox", id: `approve-${id}`, "aria-describedby": view.about, onchange: (event) => {
        const next = new Set((ballotNow().approved || []).map(String));
        if (event.target.checked) next.add(id); else next.delete(id);
        cast({ approved: [...next].map(Number) });
      } });
      return el("div", { class: "check vote-controls" }, view.box, el("label", { for: `approve-${id}`, text: T.approve }));
    },
    score(view, id) {
      view.radios = [];
      const group = el("fieldset", { class: "score-controls", "aria-describedby": view.about },
        el("legend", { text: T.score_label }));
      for (let n = 0; n <= 5; n += 1) {
        const input = el("input", { type: "radio", name: `score-${id}`, id: `score-${id}-${n}`, value: String(n),
          onchange: () => cast({ scores: { ...(ballotNow().scores || {}), [id]: n } }) });
        view.radios.push(input);
        group.append(el("span", { class: "score-option" }, input, el("label", { for: `score-${id}-${n}`, text: String(n) })));
      }
      return group;
    },
    ranked(view) {
      view.rank = el("p", { class: "tag-rank", tabindex: "-1" }); // takes the focus from the button
      view.add = el("button", { type: "button", class: "small", text: T.add_to_ranking, "aria-describedby": view.about,
        onclick: () => {
          view.focusRank = true; // the button goes once it is ranked: the focus moves to its place
          cast({ ranking: [...(ballotNow().ranking || []), view.proposal.id] });
        } });
      return null; // one of the two, chosen on every update
    },
    consent(view, id) {
      const form = el("form", { class: "consent-controls" });
      const group = el("fieldset", { "aria-describedby": view.about }, el("legend", { text: T.methods.consent }));
      view.fields = el("fieldset", { class: "task-fields" });
      view.choices = {};
      for (const choice of ["agree", "live_with", "object"]) {
        view.choices[choice] = el("input", { type: "radio", name: `consent-${id}`, id: `consent-${id}-${choice}`, value: choice });
        group.append(el("span", { class: "score-option" }, view.choices[choice],
          el("label", { for: `consent-${id}-${choice}`, text: T[`consent_${choice}`] })));
      }
      view.reason = el("textarea", { id: `reason-${id}`, rows: "2", maxlength: "500" });
      view.fields.append(group, el("label", { for: `reason-${id}`, text: T.consent_reason }), view.reason,
        el("button", { type: "submit", class: "small", text: T.send }));
      form.append(view.fields);
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const choice = form.querySelector("input:checked");
        if (!choice) return;
        const consent = { ...(ballotNow().consent || {}), [id]: { choice: choice.value, reason: view.reason.value } };
        cast({ consent });
      });
      return form;
    },
  };

  /** What the item shows now; my ballot sets a choice only when it changed. */
  function updateCard(view, proposal, round, state) {
    const id = String(proposal.id);
    const ballot = shownBallot(state);
    const closed = !votingOpen(state, round);
    const mineChanged = (part) => needsRedraw(view, part);
    view.proposal = proposal;
    if (round.method === "dot") {
      view.mine = (ballot.dots || {})[id] || 0;
      const shown = view.pending ?? view.mine;
      const capped = round.dots_cap != null && shown >= round.dots_cap;
      setText(view.count, String(shown));
      view.minus.disabled = closed || shown === 0;
      view.plus.disabled = closed || dotsLeft(state, round) === 0 || capped;
    } else if (round.method === "approval") {
      const approved = (ballot.approved || []).map(String).includes(id);
      if (mineChanged([refusals, approved])) view.box.checked = approved;
      view.box.disabled = closed;
    } else if (round.method === "score") {
      const current = (ballot.scores || {})[id];
      if (mineChanged([refusals, current ?? null])) view.radios.forEach((input, n) => { input.checked = current === n; });
      view.radios.forEach((input) => { input.disabled = closed; });
    } else if (round.method === "ranked") {
      const order = ballot.ranking || [];
      if (order.includes(proposal.id)) setText(view.rank, `${T.my_ranking}: ${order.indexOf(proposal.id) + 1}`);
      view.add.disabled = closed;
      view.node = order.includes(proposal.id) ? view.rank : view.add;
      if (view.focusRank && view.node === view.rank) {
        view.focusRank = false;
        requestAnimationFrame(() => { if (view.rank.isConnected) view.rank.focus(); });
      }
    } else if (round.method === "consent") {
      const answer = (ballot.consent || {})[id] || {};
      if (mineChanged([answer, refusedReasons[id] || ""])) {
        for (const [choice, input] of Object.entries(view.choices)) input.checked = answer.choice === choice;
        view.reason.value = refusedReasons[id] || answer.reason || "";
      }
      view.fields.disabled = closed;
    }
  }

  return {
    /** The controls of one card (``about``: the id of the card's words, which describe them):
     * `update(proposal, round, state)`, then its `node` (or null). */
    createCardBallot(about) {
      const view = { node: null, builtFor: null, about };
      view.update = (proposal, round, state) => {
        const builtFor = `${round.id}:${round.method}`;
        if (view.builtFor !== builtFor) {
          view.builtFor = builtFor;
          view._drawn = undefined;
          const build = BUILD[round.method];
          view.node = build ? build(view, String(proposal.id)) : null;
        }
        if (BUILD[round.method]) updateCard(view, proposal, round, state);
        return view.node;
      };
      return view;
    },

    update(state) {
      const round = voteRound(state);
      if (!round || !status) return;
      // Never promise a change that is no longer possible.
      const open = votingOpen(state, round);
      const voted = state.me && state.me.voted;
      // A fully anonymous round's ballots are nobody's once it ends: the server cannot tell
      // this person voted, so the page must not say they did not.
      const forgotten = !open && !voted && (round.anonymity || state.workshop.anonymity) === "full";
      const mine = open ? (voted ? T.you_voted : T.not_voted)
        : (voted ? T.you_voted_closed : (forgotten ? T.anonymous_closed : T.not_voted_closed));
      // My ballot, then the room's count on a line of its own.
      if (!status._mine) {
        status._mine = el("span");
        status._count = el("span", { class: "meta ballot-voters" });
        status.replaceChildren(status._mine, " ", status._count);
      }
      setText(status._mine, mine);
      setText(status._count, plural(T.voters, state.vote ? state.vote.voters : 0));
      budget.hidden = round.method !== "dot" || !open; // dots left mean nothing once it ended
      if (round.method === "dot") {
        setText(budget, fmt(T.dots_left, { left: dotsLeft(state, round), budget: round.dots_budget }));
      }
      if (rankingPanel) updateRanking(state, round);
      if (vocabularyPanel) updateVocabulary(state, round);
    },
  };
}
