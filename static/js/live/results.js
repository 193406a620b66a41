/**
 * The results panel of the round that takes ballots (docs/protocol.md §9): the number of
 * voters, and once the results may be seen, the tallies of its method, each readable on a
 * phone, a laptop and a projector (static/css/results.css sizes everything in em, so it
 * grows with the page's type):
 *
 * - dots, approval and scores as bars, one row per proposal in ranking order, each bar's
 *   length proportional to what it shows (dots against the most dots; approval as the share
 *   of voters; scores on the 0–5 scale) with the number next to it, all rows sharing one
 *   grid so that equal numbers always draw equal bars;
 * - a ranking as the Schulze order (the result), the Borda order, and the instant-runoff
 *   table: one column per count, eliminations marked, exhausted ballots stated;
 * - consent per proposal: consented, not consented (with its objections) or no answers yet;
 * - words included or excluded; the values results (values.js);
 * - optionally by level, each level hidden from view in words when it is too small.
 *
 * The panel is redrawn only when the results (or the names of what they count) change; the
 * levels a person opened stay open, and the values results keep their node (its filter).
 */
import { $, T } from "./page.js";
import { el, fmt, needsRedraw, plural, setText, syncChildren } from "./dom.js";
import { voteRound } from "./state.js";
import { proposalLabel } from "./names.js";
import { createValuesResults } from "./values.js";

const lang = document.documentElement.lang || "en";
const oneDecimal = new Intl.NumberFormat(lang, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const percent = new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 0 });

/** A {one, other} catalogue pair for ``n``, with more placeholders filled from ``values``. */
const counted = (forms, n, values = {}) => fmt(n === 1 ? forms.one : forms.other, { ...values, n });

const explain = (text) => el("p", { class: "result-explain", text });
const winnerTag = () => el("span", { class: "result-tag result-tag-winner", text: T.winner });

/** Every candidate once: the ranking first, then the others in the order given. */
function ranked(ranking, ids) {
  const order = [...(ranking || [])];
  for (const id of ids) if (!order.includes(id)) order.push(id);
  return order;
}

export function createResults() {
  const card = $("#results-card");
  if (!card) return { update() {} };
  const count = $("#voter-count");
  const box = $("#results");
  const valuesResults = createValuesResults();
  const openLevels = new Set(); // "round:level" of the level breakdowns a person opened
  let label = null; // proposal id -> its label, in the state being drawn

  /** A proposal's name, then ``more`` (a number) and its Winner tag: separate boxes that
   * wrap side by side, so no two pieces of text are ever drawn over each other. */
  const nameWithTag = (id, isWinner, cls = "result-name", more = null) => el("span", { class: "result-head" },
    el("span", { class: cls, text: label(id) }), more, isWinner ? winnerTag() : null);

  /**
   * Bars in one grid (static/css/results.css): ``share(item)`` is the bar's length as a part
   * of the whole track (0–1), with no minimum, so lengths compare as the numbers do.
   */
  function bars(items, { share, text, winner }) {
    const list = el("ul", { class: "result-bars results-bars" });
    for (const item of items) {
      const fill = el("span", { class: "bar-fill" });
      fill.style.width = `${(100 * Math.max(0, Math.min(1, share(item)))).toFixed(3)}%`;
      const isWinner = item.proposal_id === winner;
      list.append(el("li", { class: "bar-row" + (isWinner ? " winner" : ""),
        "data-proposal-id": String(item.proposal_id) },
        nameWithTag(item.proposal_id, isWinner, "bar-label"),
        el("span", { class: "bar", "aria-hidden": "true" }, fill),
        el("span", { class: "bar-value", text: text(item) })));
    }
    return list;
  }

  function noWinner(results) {
    return results.winner == null ? el("p", { class: "result-none", text: T.no_winner }) : null;
  }

  function dotResults(results) {
    const most = Math.max(0, ...results.items.map((i) => i.dots));
    return [explain(T.dot_explain), noWinner(results), bars(results.items, {
      share: (i) => (most ? i.dots / most : 0),
      text: (i) => fmt(T.tally, { dots: plural(T.dot_count, i.dots), people: plural(T.people_count, i.voters) }),
      winner: results.winner,
    })];
  }

  function approvalResults(results) {
    return [explain(T.approval_explain), noWinner(results), bars(results.items, {
      share: (i) => i.share || 0,
      text: (i) => fmt(T.approval_value, { pct: percent.format(i.share || 0), n: i.approvals, total: results.ballots }),
      winner: results.winner,
    })];
  }

  function scoreResults(results) {
    return [explain(T.score_explain), noWinner(results), bars(results.items, {
      share: (i) => (i.mean == null ? 0 : i.mean / 5),
      text: (i) => (i.mean == null ? T.not_scored
        : counted(T.score_value, i.count, { mean: oneDecimal.format(i.mean) })),
      winner: results.winner,
    })];
  }

  /** An ordered list of proposals, best first, with an optional number after each name. */
  function order(ids, winner, extra) {
    return el("ol", { class: "result-order" }, ...ids.map((id) => el("li", { class: id === winner ? "winner" : "" },
      nameWithTag(id, id === winner, "result-name", extra ? el("span", { class: "result-number", text: extra(id) }) : null))));
  }

  /** The instant-runoff counts: a row per proposal (longest in the race first), a column
   * per count, the elimination marked where it happened, and the exhausted ballots. */
  function runoffTable(irv) {
    const rounds = irv.rounds || [];
    if (!rounds.length) return el("p", { class: "result-none", text: T.no_ballots });
    const out = {}; // id -> index of the count it was eliminated in
    rounds.forEach((r, i) => { for (const id of r.eliminated || []) out[id] = i; });
    const ids = Object.keys(rounds[0].counts).map(Number);
    const lasted = (id) => (id in out ? out[id] : rounds.length);
    const lastCount = (id) => Number(rounds[Math.min(lasted(id), rounds.length - 1)].counts[String(id)] || 0);
    ids.sort((a, b) => (b === irv.winner) - (a === irv.winner) || lasted(b) - lasted(a)
      || lastCount(b) - lastCount(a));
    const heads = rounds.map((_, i) => fmt(T.irv_round, { n: i + 1 }));
    const table = el("table", { class: "runoff" },
      el("thead", {}, el("tr", {}, el("th", { scope: "col", text: T.irv_proposal }),
        ...heads.map((text) => el("th", { scope: "col", text })))));
    const body = el("tbody");
    for (const id of ids) {
      const isWinner = id === irv.winner;
      body.append(el("tr", { class: isWinner ? "winner" : id in out ? "eliminated" : "" },
        el("th", { scope: "row" }, nameWithTag(id, isWinner)),
        ...rounds.map((r, i) => {
          if (!(String(id) in r.counts)) return el("td", { class: "gone", "data-label": heads[i], text: "—" });
          const cell = el("td", { "data-label": heads[i], text: String(r.counts[String(id)]) });
          if (out[id] === i) {
            cell.className = "out";
            cell.append(" ", el("span", { class: "result-tag result-tag-out", text: T.irv_out }));
          }
          return cell;
        })));
    }
    body.append(el("tr", { class: "exhausted" }, el("th", { scope: "row", text: T.irv_exhausted }),
      ...rounds.map((r, i) => el("td", { "data-label": heads[i], text: String(r.exhausted) }))));
    table.append(body);
    const exhausted = rounds[rounds.length - 1].exhausted;
    return el("div", { class: "runoff-wrap" }, table,
      exhausted ? el("p", { class: "result-explain", text: counted(T.irv_exhausted_note, exhausted) }) : null);
  }

  function rankedResults(results) {
    const irv = results.instant_runoff;
    const borda = results.borda;
    const schulze = results.schulze;
    const winners = [irv.winner, borda.winner, schulze.winner];
    const agree = winners.every((w) => w != null && w === winners[0]);
    return [
      noWinner(results),
      results.winner != null ? el("p", { class: "result-agreement" + (agree ? "" : " split"),
        text: agree ? T.ranked_agree : T.ranked_disagree }) : null,
      el("div", { class: "result-columns" },
        el("section", { class: "result-method" }, el("h3", { text: T.schulze }), explain(T.schulze_explain),
          schulze.ranking.length ? order(schulze.ranking, schulze.winner) : el("p", { class: "result-none", text: T.no_ballots })),
        el("section", { class: "result-method" }, el("h3", { text: T.borda }), explain(T.borda_explain),
          borda.ranking.length ? order(borda.ranking, borda.winner, (id) => counted(T.borda_points, borda.scores[String(id)] || 0))
            : el("p", { class: "result-none", text: T.no_ballots }))),
      el("section", { class: "result-method" }, el("h3", { text: T.irv }), explain(T.irv_explain), runoffTable(irv)),
    ];
  }

  function consentResults(results) {
    const byId = new Map(results.items.map((i) => [i.proposal_id, i]));
    const ids = ranked(results.ranking, results.items.map((i) => i.proposal_id));
    const list = el("ul", { class: "consent-results" });
    for (const id of ids) {
      const item = byId.get(id);
      if (!item) continue;
      const counts = item.counts || {};
      // Older payloads have no `answers`: the counts add up to the same number.
      const answers = item.answers ?? ((counts.agree || 0) + (counts.live_with || 0) + (counts.object || 0));
      const status = !answers ? "unanswered" : item.consented ? "consented" : "objected";
      const statusText = status === "unanswered" ? T.consent_no_answers : status === "consented" ? T.consented
        : counted(T.consent_objected, counts.object || item.objections.length);
      list.append(el("li", { class: status, "data-proposal-id": String(id) },
        el("span", { class: "result-head" }, el("strong", { class: "result-name", text: label(id) }),
          el("span", { class: `result-tag result-tag-${status}`, text: statusText })),
        answers ? el("p", { class: "consent-counts" },
          ...[["agree", T.consent_agree], ["live_with", T.consent_live_with], ["object", T.consent_object]]
            .map(([key, name]) => el("span", { class: `consent-count consent-${key}`, text: `${name}: ${counts[key] || 0}` })))
          : null,
        item.objections.length ? el("div", { class: "consent-objections" },
          el("p", { class: "result-explain", text: T.objections }),
          el("ul", {}, ...item.objections.map((reason) => el("li", { text: reason })))) : null));
    }
    return [explain(T.consent_explain), list];
  }

  function vocabularyResults(results) {
    return [el("div", { class: "result-columns" }, ...Object.keys(T.categories).map((category) => {
      const items = results.items.filter((i) => i.category === category);
      if (!items.length) return null;
      return el("section", { class: "result-method" }, el("h3", { text: T.categories[category] }),
        el("ul", { class: "word-results" }, ...items.map((i) => el("li", { class: `word-${i.status}` },
          el("span", { class: "result-head" }, el("strong", { class: "result-name", text: i.word }),
            el("span", { class: `result-tag result-tag-${i.status}`, text: T[i.status === "open" ? "open_word" : i.status] })),
          el("span", { class: "result-number", text: fmt(T.votes_for_against, i) })))));
    }).filter(Boolean))];
  }

  /** The parts that show ``results`` (one method's tallies, without the by-level part). */
  function methodResults(state, results) {
    switch (results.method) {
      case "dot": return dotResults(results);
      case "approval": return approvalResults(results);
      case "score": return scoreResults(results);
      case "ranked": return rankedResults(results);
      case "consent": return consentResults(results);
      case "vocabulary": return vocabularyResults(results);
      case "values": return [valuesResults(state, results)];
      default: return [];
    }
  }

  /** Each level's results in a section a person can open (it stays open across updates);
   * a level too small to show says so in words. */
  function byLevel(state, results) {
    const round = state.vote.round_id;
    const n = results.min_group_size;
    const section = el("section", { class: "result-levels" }, el("h3", { text: T.by_level }),
      explain(fmt(T.by_level_explain, { n })));
    for (const [level, result] of Object.entries(results.by_level)) {
      if (!result) {
        section.append(el("p", { class: "result-hidden", text: fmt(T.level_hidden, { level, n }) }));
        continue;
      }
      const key = `${round}:${level}`;
      const summary = result.winner != null
        ? counted(T.level_summary, result.ballots, { winner: label(result.winner) })
        : counted(T.level_no_winner, result.ballots);
      const details = el("details", { class: "result-level", open: openLevels.has(key),
        ontoggle: (e) => { if (e.target.open) openLevels.add(key); else openLevels.delete(key); } },
        el("summary", {}, el("span", { class: "result-head" },
          el("strong", { class: "result-name", text: level }), el("span", { class: "result-number", text: summary }))),
        // What the method means is said once, above; each level shows only its numbers.
        ...methodResults(state, result).filter((part) => part && !part.classList.contains("result-explain")));
      section.append(details);
    }
    return section;
  }

  return {
    update(state) {
      const vote = state.vote;
      const round = voteRound(state);
      card.hidden = !vote || !round;
      if (card.hidden) return;
      setText(count, plural(T.voters, vote.voters));
      // Redrawn only when the results, or the names of what they count, changed.
      const labels = state.proposals.map((p) => [p.id, p.body_html]);
      if (!needsRedraw(box, [vote.round_id, vote.results, labels, state.workshop.levels, state.workshop.departments])) return;
      label = (id) => proposalLabel(state, id);
      const parts = [];
      // The method, for the stylesheets: a wall lays a ranking out in two columns.
      box.dataset.method = vote.results ? vote.results.method || "" : "";
      if (!vote.results) {
        parts.push(el("p", { class: "empty", text: T.results_hidden }));
      } else {
        parts.push(...methodResults(state, vote.results).filter(Boolean));
        if (vote.results.by_level) parts.push(byLevel(state, vote.results));
      }
      // The values results keep their node (its filter keeps its focus); the rest is new.
      syncChildren(box, parts);
    },
  };
}
