/**
 * The room's big screen ("the wall", templates/staff/projector.html): one screen at
 * 1920×1080 or 1280×720 that nobody scrolls. It connects as the projector audience
 * (docs/protocol.md §1), so its state is the participants' view of the data, and it draws no
 * more than that: visible proposals only, authors only where participants see them, results
 * only once participants may see them.
 *
 * Always on the wall: the join code and QR code (except once the workshop is closed and
 * nobody can join), the round's prompt and the clause it is about, the timer (paused and time
 * up in words), how many people are here and how many have proposed or voted. The middle
 * follows the round, as `data-stage` on #live (the stylesheet lays each one out):
 * `lobby` (the join panel fills the screen), `values` and `propose` (a big join panel, the
 * proposals as they arrive), `vote` (the ballot, then the results, drawn by results.js),
 * `refine` and `consent` (the draft clause by clause with consent counts), `final` (the
 * mission text, "Final" once locked).
 *
 * Whatever does not fit is cut from the bottom and counted ("+3 more"), never scrolled. Only
 * the browser knows how tall words are, so each part is measured after every change and every
 * resize, and the longest run of items that fits is kept (a binary search, a few layouts).
 */
import { $, T, root } from "./page.js";
import { diffNodes, el, fmt, keyed, needsRedraw, setAttr, setHTML, setText } from "./dom.js";
import { amendCounts } from "./amendments.js";
import { clockText, duelSecondsLeft, secondsLeft } from "./clock.js";
import { currentRound, documentClauses, documentFinal } from "./state.js";
import { clauseTitle } from "./names.js";
import { createResults } from "./results.js";

/** Which stage a running round puts on the wall, and which the phase does between rounds. */
const KIND_STAGE = { values: "values", propose: "propose", vote: "vote", vocabulary: "vote",
  refine: "refine", consent: "consent", finalise: "final", measures: "refine" };
const PHASE_STAGE = { lobby: "lobby", values: "values", propose: "propose", vote: "vote",
  draft: "refine", closed: "final" };
/** The phase a round of each kind runs in (workshop/services/rounds.py, PHASE_OF_KIND). */
const PHASE_OF_KIND = { values: "values", propose: "propose", vote: "vote", vocabulary: "vote",
  refine: "draft", consent: "draft", finalise: "draft", measures: "draft" };
/** Font sizes tried, largest first, before a text is cut (the draft and the mission). */
const SCALES = ["100", "90", "80", "70"];

/** The same stable shuffle as proposals.js, so that in anonymous read-out the wall lists the
 * cards in the order every other screen does. */
const shuffleKey = (id) => Math.imul(id ^ 0x5bd1e995, 2654435761) >>> 0;
const isVisible = (thing) => !thing.status || thing.status === "visible";

/** The round the wall is about: the running or paused one; between rounds, the one that ran
 * last while the workshop is still in its phase (its proposals or results stay up). */
export function shownRound(state) {
  const current = currentRound(state);
  if (current) return current;
  const last = state.rounds.filter((r) => r.started_at)
    .sort((a, b) => Date.parse(b.started_at) - Date.parse(a.started_at))[0];
  return last && PHASE_OF_KIND[last.kind] === state.workshop.phase ? last : null;
}

export function stageOf(state, round) {
  const phase = state.workshop.phase;
  if (phase === "lobby" || phase === "closed") return PHASE_STAGE[phase];
  return (round && KIND_STAGE[round.kind]) || PHASE_STAGE[phase] || "lobby";
}

/** A count in words with its number apart, so that the number can be drawn large: ``forms``
 * is a {one, other} pair of the catalogue ("%(n)s people here"). */
function countNodes(forms, n) {
  const [before, after = ""] = (n === 1 ? forms.one : forms.other).split("%(n)s");
  return spaced([
    before.trim() ? el("span", { class: "wall-count-words", text: before.trim() }) : null,
    el("strong", { class: "wall-count-number", text: String(n) }),
    after.trim() ? el("span", { class: "wall-count-words", text: after.trim() }) : null,
  ]);
}

/** Nodes with a space between each two, so that they read (and are read out) as words; the
 * stylesheet sets them apart with gaps. */
const spaced = (nodes) => nodes.filter(Boolean).flatMap((node, i) => (i ? [" ", node] : [node]));

/** "ABCD-EFGH", as the server shows a join code (workshop/join_codes.py). */
const formatCode = (code) => `${code.slice(0, 4)}-${code.slice(4)}`;

/** The box shows all it holds, nothing clipped. */
const fits = (box) => box.scrollHeight <= box.clientHeight + 1;

/**
 * Show the first ``total`` items that fit in ``box``: ``showFirst(k)`` shows the first k and
 * hides the rest; ``more`` (outside the box, below it) then says how many are left out.
 */
function cutToFit(box, more, total, showFirst) {
  const apply = (k) => {
    showFirst(k);
    more.hidden = k >= total;
    setText(more, k >= total ? "" : fmt(T.wall_more, { n: total - k }));
  };
  apply(total);
  if (total === 0 || fits(box)) return;
  let lo = 0;
  let hi = total - 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    apply(mid);
    if (fits(box)) lo = mid;
    else hi = mid - 1;
  }
  apply(lo);
}

/** Show the first ``k`` nodes of ``nodes`` and hide the others. */
const firstOf = (nodes) => (k) => nodes.forEach((node, i) => { node.hidden = i >= k; });

export function createProjector({ getState }) {
  const results = createResults();
  const step = $("#wall-step");
  const prompt = $("#wall-prompt");
  const clause = $("#wall-clause");
  const organisation = $("#wall-organisation");
  const title = $("#workshop-title");
  const code = $("#wall-code");
  const joinPath = $("#wall-url-path");
  const qr = $("#wall-qr");
  const timer = $("#timer");
  const counts = $("#wall-counts");
  const panels = {
    proposals: $("#wall-proposals-panel"),
    vote: $("#wall-vote-panel"),
    draft: $("#wall-draft-panel"),
  };
  const proposalList = $("#wall-proposals");
  const ballot = $("#wall-ballot");
  const ballotList = $("#wall-ballot-list");
  const clauseList = $("#wall-clauses");
  const draftTitle = $("#wall-draft-title");
  const version = $("#wall-version");
  const signoffs = $("#wall-signoffs");
  const noProposals = el("li", { class: "wall-empty", text: T.no_proposals });
  const noDraft = el("li", { class: "wall-empty", text: T.no_draft });
  let shown = { stage: null, panel: null }; // what the last update drew, for refitting

  // -- the head: the round, its prompt and its clause -----------------------------------------
  function drawHead(state, round, stage) {
    const workshop = state.workshop;
    setText(organisation, workshop.organisation);
    setText(title, workshop.title);
    let stepText;
    let promptText;
    if (round && stage !== "lobby") {
      const parts = [fmt(T.round_of, { n: round.position + 1, total: state.rounds.length }), T.kinds[round.kind]];
      if (round.kind === "vote" && round.method) parts.push(T.methods[round.method]);
      stepText = parts.join(" · ");
      promptText = round.prompt || T.kinds[round.kind];
    } else {
      const started = state.rounds.some((r) => r.started_at);
      stepText = stage === "lobby" && !started ? T.waiting_first : T.phases[workshop.phase];
      promptText = workshop.title;
    }
    setText(step, stepText);
    setText(prompt, promptText);
    prompt.classList.toggle("long", promptText.length > 90);
    const about = round && stage !== "lobby" ? round.clause : "";
    clause.hidden = !about;
    setText(clause, about ? fmt(T.wall_clause, { clause: about }) : "");
  }

  // -- the join panel ---------------------------------------------------------------------
  function drawJoin(state) {
    const wanted = formatCode(state.workshop.join_code);
    if (code.textContent !== wanted) {
      // A new code: the QR code and the link change with it.
      setText(code, wanted);
      setText(joinPath, joinPath.textContent.replace(/[^/]*$/, state.workshop.join_code));
      qr.src = qr.src.replace(/(\?.*)?$/, `?code=${state.workshop.join_code}`);
    }
  }

  // -- the timer: large digits, and in words when paused, up or over ---------------------------
  function drawTimer() {
    const state = getState();
    if (!state || !timer) return;
    const round = shownRound(state);
    const stage = stageOf(state, round);
    const left = round && stage !== "lobby" ? secondsLeft(round) : null;
    let mode = "none";
    if (round && stage !== "lobby") {
      if (round.status === "ended") mode = "ended";
      else if (left === null) mode = "none";
      else if (round.status === "paused") mode = "paused";
      else mode = left === 0 ? "up" : "running";
    }
    if (!needsRedraw(timer, [mode, left])) return;
    timer.dataset.state = mode;
    timer.hidden = mode === "none";
    const words = (text) => el("span", { class: "wall-timer-words", text });
    const digits = (seconds) => el("span", { class: "wall-timer-digits", text: clockText(seconds) });
    if (mode === "running") {
      // "%(time)s left", with the time set apart to be drawn large.
      const [before, after = ""] = T.time_left.split("%(time)s");
      timer.replaceChildren(...spaced([before.trim() ? words(before.trim()) : null, digits(left),
        after.trim() ? words(after.trim()) : null]));
    } else if (mode === "paused") {
      timer.replaceChildren(...spaced([digits(left), words(T.paused)]));
    } else if (mode === "up") {
      timer.replaceChildren(words(T.time_up));
    } else if (mode === "ended") {
      timer.replaceChildren(words(T.round_ended));
    } else {
      timer.replaceChildren();
    }
  }
  window.setInterval(drawTimer, 1000);

  // -- the counts: here, proposed, voted -----------------------------------------------------
  function drawCounts(state, round, stage) {
    const wanted = [[T.wall_here, state.presence.online]];
    if (stage === "propose" && round) {
      wanted.push([T.wall_proposals, roundProposals(state, round).length]);
    }
    if ((stage === "vote" || stage === "values") && round && state.vote && state.vote.round_id === round.id) {
      wanted.push([T.voters, state.vote.voters]);
    }
    if (!needsRedraw(counts, wanted.map(([forms, n]) => [forms.other, n]))) return;
    counts.replaceChildren(...wanted.map(([forms, n]) => el("p", { class: "wall-count" }, ...countNodes(forms, n))));
  }

  // -- proposals (propose) and the ballot (vote) ---------------------------------------------
  function roundProposals(state, round) {
    return state.proposals.filter((p) => isVisible(p) && p.round_id === round.id);
  }

  function ordered(state, proposals, newestFirst) {
    const order = [...proposals];
    if (state.workshop.readout_anonymous) order.sort((a, b) => shuffleKey(a.id) - shuffleKey(b.id));
    else order.sort((a, b) => (newestFirst ? b.id - a.id : a.id - b.id));
    return order.sort((a, b) => Number(b.pinned) - Number(a.pinned));
  }

  /** The names participants see on a card: none where anonymity or the read-out hides them. */
  function authorsOf(state, proposal) {
    if (state.workshop.readout_anonymous) return "";
    return (proposal.authors || []).map((a) => a.name).join(", ");
  }

  function drawCards(list, state, items, empty) {
    return keyed(list, items, {
      key: (item) => item.key,
      create: () => {
        const view = { body: el("div", { class: "wall-proposal-body" }), who: el("p", { class: "wall-proposal-who" }) };
        view.node = el("li", { class: "wall-proposal" }, view.body, view.who);
        return view;
      },
      update: (view, item) => {
        if (item.html != null) setHTML(view.body, item.html);
        else setText(view.body, item.text);
        setText(view.who, item.who || "");
        view.who.hidden = !item.who;
        view.node.classList.toggle("pinned", !!item.pinned);
      },
      empty,
    });
  }

  const asCard = (state) => (p) => ({ key: p.id, html: p.body_html, who: authorsOf(state, p), pinned: p.pinned });

  function drawProposals(state, round) {
    const proposals = round ? roundProposals(state, round) : state.proposals.filter(isVisible);
    drawCards(proposalList, state, ordered(state, proposals, true).map(asCard(state)), noProposals);
  }

  /** What is on the ballot, without a number, until the results may be seen. */
  function drawBallot(state, round) {
    const hidden = !round || !!(state.vote && state.vote.results && state.vote.round_id === round.id);
    ballot.hidden = hidden;
    if (hidden) return;
    let items;
    if (round.kind === "vocabulary") {
      items = (round.words || []).map((w) => ({ key: `word-${w.word}`, text: w.word, who: T.categories[w.category] || "" }));
    } else if (round.kind === "vote") {
      const from = round.proposals_from;
      const proposals = state.proposals.filter((p) => isVisible(p) && (from == null || p.round_id === from));
      items = ordered(state, proposals, false).map(asCard(state));
    } else {
      items = [];
    }
    ballot.hidden = !items.length;
    drawCards(ballotList, state, items, null);
  }

  // -- the draft, clause by clause, and the mission ---------------------------------------------
  function consentChips(consent) {
    const c = consent || {};
    return spaced(["agree", "live_with", "object", "stale"]
      .filter((kind) => kind !== "stale" || c.stale)
      .map((kind) => el("span", { class: `wall-chip wall-chip-${kind}`, text: fmt(T.wall_consent[kind], { n: c[kind] || 0 }) })));
  }

  function drawDraft(state, stage) {
    const doc = state.document;
    const final = documentFinal(state);
    setText(draftTitle, stage === "final" ? T.wall_mission : T.wall_draft);
    setText(version, !doc ? "" : (final ? T.wall_final : fmt(T.version, { number: doc.number })));
    version.classList.toggle("wall-final", final);
    const consent = (state.wording && state.wording.consent) || {};
    const editors = state.editors || {};
    keyed(clauseList, documentClauses(state), {
      key: (c) => c.key,
      create: () => {
        const view = {
          heading: el("h3", { class: "wall-clause-heading" }),
          text: el("div", { class: "wall-clause-text" }),
          consent: el("p", { class: "wall-consent" }),
          editors: el("p", { class: "wall-editors" }),
          amendments: el("ul", { class: "wall-amendments" }),
          duel: el("div", { class: "wall-duel" }),
        };
        view.node = el("li", { class: "wall-clause" }, view.heading, view.text, view.consent, view.editors,
          view.amendments, view.duel);
        return view;
      },
      update: (view, c, index) => {
        setText(view.heading, clauseTitle(c, index));
        if (c.body) setHTML(view.text, c.html);
        else if (needsRedraw(view.text, "")) view.text.replaceChildren(el("p", { class: "wall-empty", text: T.clause_empty }));
        const answers = consent[String(c.key)];
        if (needsRedraw(view.consent, answers || null)) view.consent.replaceChildren(...consentChips(answers));
        const names = (stage === "refine" ? editors[String(c.key)] || [] : []).map((name) => name ?? T.someone);
        setText(view.editors, names.length
          ? fmt(names.length === 1 ? T.clause_editing.one : T.clause_editing.other, { names: names.join(", ") }) : "");
        view.editors.hidden = !names.length;
        drawAmendments(view.amendments, openAmendments(state, c.key));
        drawDuel(view.duel, openDuel(state, c.key));
      },
      empty: noDraft,
    });
    const names = final && doc ? (doc.signoffs || []).map((s) => fmt(T.signed_off, { name: s.name })) : [];
    setText(signoffs, names.join(" · "));
    signoffs.hidden = !names.length;
  }

  // Changes suggested to a clause and open for answers: each in its sentence, with the
  // answers so far (as people's screens show them), the newest few; the rest counted.
  const WALL_AMENDMENTS = 3;
  const openAmendments = (state, key) => (state.amendments || [])
    .filter((a) => a.clause_key === key && a.status === "open");

  function drawAmendments(box, items) {
    box.hidden = !items.length;
    const shown = items.slice(-WALL_AMENDMENTS);
    if (!needsRedraw(box, items.length ? [items.length, shown.map((a) => [a.id, a.counts, a.mean])] : null)) return;
    box.replaceChildren(...[...shown.map((a) => el("li", {},
      el("p", { class: "wall-amendment-text diff" }, el("span", { class: "wall-amendment-label", text: fmt(T.amendment_title, { id: a.id }) }),
        " ", ...diffNodes(a.in_context)),
      el("p", { class: "wall-amendment-counts", text: amendCounts(a, a.method) }))),
      items.length > shown.length ? el("li", { class: "wall-amendment-more", text: fmt(T.wall_more, { n: items.length - shown.length }) }) : null]
      .filter(Boolean));
  }

  // A wording duel running on a clause: its wordings under it, with the time left (blind: no
  // counts until it is decided, as on people's screens).
  const openDuel = (state, key) => (state.duels || []).find((d) => d.clause_key === key && d.status === "open");
  const duelTimers = new Map(); // the open duels' timer lines, ticked every second

  function drawDuel(box, duel) {
    box.hidden = !duel;
    if (!needsRedraw(box, duel ? [duel.id, duel.options.map((o) => o.text), duel.ends_at] : null)) return;
    for (const [node] of duelTimers) if (box.contains(node)) duelTimers.delete(node);
    if (!duel) {
      box.replaceChildren();
      return;
    }
    const timerLine = el("span", { class: "wall-duel-timer" });
    duelTimers.set(timerLine, duel);
    box.replaceChildren(
      el("p", { class: "wall-duel-title" }, el("span", { text: fmt(T.duel_title, { id: duel.id }) }), " · ", timerLine),
      el("ol", { class: "wall-duel-options" }, ...duel.options.map((o) => el("li", { text: o.text }))),
    );
    tickDuels();
  }

  function tickDuels() {
    const open = new Set(((getState() || {}).duels || []).filter((d) => d.status === "open").map((d) => d.id));
    for (const [node, duel] of duelTimers) {
      if (!open.has(duel.id)) { duelTimers.delete(node); continue; }
      const left = duelSecondsLeft(duel);
      setText(node, left > 0 ? fmt(T.time_left, { time: clockText(left) }) : T.duel_time_up);
    }
  }
  window.setInterval(tickDuels, 1000);

  // -- fitting -----------------------------------------------------------------------------
  function fit() {
    const panel = shown.panel && panels[shown.panel];
    if (!panel || panel.hidden) return;
    const box = panel.querySelector(".wall-fit");
    const more = panel.querySelector(".wall-more");
    if (shown.panel === "proposals") {
      const cards = [...proposalList.children].filter((n) => n !== noProposals);
      cutToFit(box, more, cards.length, firstOf(cards));
    } else if (shown.panel === "vote") {
      // The ballot, or every list of the results (bars, tables, rankings), cut to the same
      // number of rows: the top of each.
      const lists = ballot.hidden
        ? [...box.querySelectorAll("#results .results-bars, #results tbody, #results ol, #results ul")]
        : [ballotList];
      const rows = lists.map((list) => [...list.children]);
      const total = Math.max(0, ...rows.map((r) => r.length));
      cutToFit(box, more, total, (k) => rows.forEach((r) => firstOf(r)(k)));
    } else if (shown.panel === "draft") {
      const clauses = [...clauseList.children].filter((n) => n !== noDraft);
      firstOf(clauses)(clauses.length);
      more.hidden = true;
      for (const scale of SCALES) {
        box.dataset.scale = scale;
        if (fits(box)) return;
      }
      cutToFit(box, more, clauses.length, firstOf(clauses));
    }
  }

  let refitting = 0;
  const refit = () => {
    window.cancelAnimationFrame(refitting);
    refitting = window.requestAnimationFrame(fit);
  };
  // Anything that changes the room a part has (the screen's size, the prompt wrapping onto
  // another line, a picture in the results loading) fits it again.
  new ResizeObserver(refit).observe($("#wall-stage"));
  $("#wall-stage").addEventListener("load", refit, true);

  const wall = {
    update(state) {
      const round = shownRound(state);
      const stage = stageOf(state, round);
      root.dataset.stage = stage;
      setAttr(root, "data-closed", state.workshop.phase === "closed");
      drawHead(state, round, stage);
      drawJoin(state);
      drawTimer();
      drawCounts(state, round, stage);
      // What to notice about representation, when the facilitator shows it (notices.js).
      setAttr($("#wall-notices"), "hidden", !state.workshop.wall_notices);
      const panel = { propose: "proposals", values: "vote", vote: "vote", refine: "draft",
        consent: "draft", final: "draft" }[stage] || null;
      for (const [name, node] of Object.entries(panels)) node.hidden = name !== panel;
      if (panel === "proposals") drawProposals(state, round);
      else if (panel === "vote") drawBallot(state, round);
      else if (panel === "draft") drawDraft(state, stage);
      shown = { stage, panel };
      fit();
    },
  };
  return [results, wall];
}
