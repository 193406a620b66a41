/**
 * The results panel of the round that takes ballots (docs/protocol.md §9): the number of
 * voters, and once the results may be seen, the tallies of its method (bars for dots,
 * approval and scores; instant runoff, Borda and Schulze side by side for a ranking; consent
 * per proposal; words included or excluded; the values results), optionally by level. The
 * panel is redrawn only when the results (or the names of what they count) change.
 */
import { $, T } from "./page.js";
import { el, fmt, needsRedraw, plural, setText, syncChildren } from "./dom.js";
import { voteRound } from "./state.js";
import { proposalLabel } from "./names.js";
import { createValuesResults } from "./values.js";

export function createResults() {
  const card = $("#results-card");
  if (!card) return { update() {} };
  const count = $("#voter-count");
  const box = $("#results");
  const valuesResults = createValuesResults();
  let label = null; // proposal id -> its label, in the state being drawn

  function resultBars(items, valueOf, textOf, winner) {
    const max = Math.max(1, ...items.map(valueOf));
    const bars = el("div", { class: "bars results-bars" });
    for (const item of items) {
      const fill = el("span", { class: "bar-fill" });
      fill.style.width = (100 * valueOf(item) / max) + "%";
      bars.append(el("div", { class: "bar-row wide" + (item.proposal_id === winner ? " winner" : "") },
        el("span", { class: "bar-label", text: label(item.proposal_id) }),
        el("span", { class: "bar" }, fill),
        el("span", { class: "bar-value", text: textOf(item) })));
    }
    return bars;
  }

  function methodResults(state, results) {
    const w = results.winner;
    if (results.method === "dot") {
      return resultBars(results.items, (i) => i.dots, (i) => fmt(T.tally, {
        dots: plural(T.dot_count, i.dots), people: plural(T.people_count, i.voters) }), w);
    }
    if (results.method === "approval") {
      return resultBars(results.items, (i) => i.approvals,
        (i) => `${fmt(T.approvals, { n: i.approvals })} (${Math.round(i.share * 100)}%)`, w);
    }
    if (results.method === "score") {
      return resultBars(results.items, (i) => i.mean || 0,
        (i) => fmt(T.mean_score, { n: i.mean == null ? "–" : i.mean.toFixed(1), count: i.count }), w);
    }
    if (results.method === "ranked") {
      const irv = results.instant_runoff;
      const table = el("table", { class: "table" });
      const candidates = Object.keys(irv.rounds[0] ? irv.rounds[0].counts : {});
      table.append(el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "" }),
        ...irv.rounds.map((_, i) => el("th", { scope: "col", text: fmt(T.irv_round, { n: i + 1 }) })))));
      const body = el("tbody");
      for (const c of candidates) {
        body.append(el("tr", { class: Number(c) === irv.winner ? "winner" : "" },
          el("th", { scope: "row", text: label(Number(c)) }),
          ...irv.rounds.map((r) => el("td", { text: c in r.counts ? String(r.counts[c]) : "—" }))));
      }
      table.append(body);
      const borda = results.borda;
      const bordaItems = borda.ranking.map((id) => ({ proposal_id: id, points: borda.scores[String(id)] }));
      const schulze = el("ol", {}, ...results.schulze.ranking.map((id) =>
        el("li", { class: id === results.schulze.winner ? "winner" : "", text: label(id) })));
      return el("div", { class: "side-by-side" },
        el("section", {}, el("h3", { text: T.irv }), table),
        el("section", {}, el("h3", { text: T.borda }),
          resultBars(bordaItems, (i) => i.points, (i) => fmt(T.points, { n: i.points }), borda.winner)),
        el("section", {}, el("h3", { text: T.schulze }), schulze));
    }
    if (results.method === "values") return valuesResults(state, results);
    if (results.method === "vocabulary") {
      return el("div", { class: "side-by-side" }, ...Object.keys(T.categories).map((category) => {
        const items = results.items.filter((i) => i.category === category);
        if (!items.length) return null;
        return el("section", {}, el("h3", { text: T.categories[category] }),
          el("ul", { class: "word-results" }, ...items.map((i) => el("li", { class: `word-${i.status}` },
            el("strong", { text: i.word }),
            el("span", { text: ` · ${fmt(T.votes_for_against, i)} · ${T[i.status === "open" ? "open_word" : i.status]}` })))));
      }).filter(Boolean));
    }
    if (results.method === "consent") {
      const list = el("ul", { class: "consent-results" });
      for (const item of results.items) {
        const counts = item.counts;
        list.append(el("li", { class: item.consented ? "consented" : "objected" },
          el("strong", { text: label(item.proposal_id) }),
          el("p", { text: `${T.consent_agree}: ${counts.agree || 0} · ${T.consent_live_with}: ${counts.live_with || 0} · ${T.consent_object}: ${counts.object || 0}` }),
          el("p", { class: "meta", text: item.consented ? T.consented : T.not_consented }),
          item.objections.length ? el("ul", {}, ...item.objections.map((r) => el("li", { text: r }))) : null));
      }
      return list;
    }
    return el("p", { text: "" });
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
      if (!vote.results) {
        parts.push(el("p", { class: "empty", text: T.results_hidden }));
      } else {
        parts.push(methodResults(state, vote.results));
        if (vote.results.by_level) {
          const section = el("section", {}, el("h3", { text: T.by_level }));
          for (const [level, result] of Object.entries(vote.results.by_level)) {
            section.append(el("h4", { text: level }));
            section.append(result ? methodResults(state, result)
              : el("p", { class: "meta", text: fmt(T.suppressed, { n: vote.results.min_group_size }) }));
          }
          parts.push(section);
        }
      }
      // The values results keep their node (its filter keeps its focus); the rest is new.
      syncChildren(box, parts);
    },
  };
}
