/**
 * Values rounds (docs/protocol.md §9, "Values rounds"): the participant's form (personal
 * values picked from the catalogue or in their own words, each placed against the
 * organisation's stated values and rated) and, after the reveal, the room's results (the
 * alignment figure, the heatmap picture with its "Show for" filter and its numbers as a
 * table, the gaps, what is shared across levels and the culture; small levels are hidden,
 * and the results say so). The form is the person's own work in progress: it is built once per round and
 * never redrawn by live events; the results keep the filter and the picture they show.
 */
import { $, T, catalogue, catalogueName, root, valueName, workshopId } from "./page.js";
import { decimal, el, fill, firstUsable, fmt, keyed, needsRedraw, setAttr, setText, syncChildren } from "./dom.js";
import { myBallot, voteRound } from "./state.js";
import { newOpId } from "./connection.js";

/** The values form of a participant. ``ctx``: {command, getState, dispatch}. */
export function createValuesForm({ command, getState, dispatch }) {
  const form = $("#values-form");
  if (!form) return { update() {} };
  let builtFor = null; // the round the form was built for
  let picked = []; // [{uid, value | custom, maps_to, lived}]
  // A new pick is "not mapped yet" (sent as null: it counts neither way in the alignment)
  // until the person places it; "not represented here" is a choice of its own ("none").
  const UNMAPPED = "";
  const NONE = "none";
  let uid = 0;
  let round = null;

  function buildCatalogue(mine) {
    $("#values-catalogue").replaceChildren(...catalogue.map((group) => el("fieldset", { class: "value-group" },
      el("legend", { text: group.name }),
      ...group.values.map((value) => el("span", { class: "value-option" },
        el("input", { type: "checkbox", id: `value-${value.key}`, value: value.key,
          "data-value-key": value.key, checked: picked.some((p) => p.value === value.key),
          onchange: (event) => togglePick(value.key, event.target.checked) }),
        el("label", { for: `value-${value.key}`, title: value.description, text: value.name }))))));
    for (const [kind, node, heading] of [["current", "#culture-now", T.culture_now],
      ["desired", "#culture-desired", T.culture_desired]]) {
      const chosen = new Set(mine[kind] || []);
      $(node).replaceChildren(el("fieldset", { class: "value-group culture-group" },
        el("legend", { text: heading }),
        ...catalogue.flatMap((g) => g.values).map((value) => el("span", { class: "value-option" },
          el("input", { type: "checkbox", id: `${kind}-${value.key}`, name: kind, value: value.key,
            checked: chosen.has(value.key) }),
          el("label", { for: `${kind}-${value.key}`, text: value.name })))));
    }
  }

  /** The form's choice for a stored ``maps_to``: a stated value, "none", or not mapped yet
   * (also for a stated value that has since been removed). */
  const choiceFor = (state, mapsTo) => (mapsTo === NONE ? NONE
    : state.workshop.values.some((v) => String(v.id) === String(mapsTo)) ? String(mapsTo) : UNMAPPED);

  function togglePick(key, on) {
    if (on && !picked.some((p) => p.value === key)) {
      if (picked.length >= round.pick_limit) {
        const box = root.querySelector(`[data-value-key="${key}"]`);
        if (box) box.checked = false;
        return;
      }
      picked.push({ uid: ++uid, value: key, maps_to: UNMAPPED, lived: null });
    } else if (!on) {
      picked = picked.filter((p) => p.value !== key);
    }
    drawPicked();
  }

  function createPick(pick) {
    const view = { pick };
    view.name = el("strong");
    view.remove = el("button", { type: "button", class: "small", text: T.remove, onclick: () => {
      const at = picked.indexOf(view.pick);
      picked = picked.filter((p) => p !== view.pick);
      const box = view.pick.value && root.querySelector(`[data-value-key="${view.pick.value}"]`);
      if (box) box.checked = false;
      const views = drawPicked();
      // The button goes with its pick: the focus moves to the Remove of the pick now in its
      // place (or the one before), else back to where the value was chosen.
      const near = [picked[at], picked[at - 1]].map((p) => p && views.get(p.uid)).filter(Boolean);
      const target = firstUsable([...near.map((v) => v.remove), box, $("#own-value")]);
      if (target) target.focus();
    } });
    view.mapsLabel = el("label", { text: T.maps_to });
    view.select = el("select", { onchange: (e) => { view.pick.maps_to = e.target.value; } },
      el("option", { value: UNMAPPED, text: T.not_mapped }),
      ...getState().workshop.values.map((v) => el("option", { value: String(v.id), text: v.name,
        selected: String(pick.maps_to) === String(v.id) })),
      el("option", { value: NONE, text: T.not_represented, selected: pick.maps_to === NONE }));
    view.lived = [];
    // Both are described by the pick's name ("maps to, Honesty"), as a card's controls are.
    const rating = el("fieldset", { class: "score-controls" }, el("legend", { text: T.lived }));
    view.rating = rating;
    for (let n = 1; n <= 5; n += 1) {
      const input = el("input", { type: "radio", value: String(n), checked: pick.lived === n,
        onchange: () => { view.pick.lived = n; } });
      const label = el("label", { text: String(n) });
      view.lived.push([input, label]);
      rating.append(el("span", { class: "score-option" }, input, label));
    }
    view.node = el("li", { class: "pick" }, el("div", { class: "pick-head" }, view.name, " ", view.remove),
      view.mapsLabel, view.select, rating);
    return view;
  }

  /** Ids follow the places in the list (`pick-0-maps`, `pick-0-lived-3`...). */
  function updatePick(view, pick, index) {
    const name = pick.value ? (catalogueName[pick.value] || pick.value) : pick.custom;
    const id = `pick-${index}`;
    setText(view.name, name);
    setAttr(view.name, "id", `${id}-name`);
    setAttr(view.select, "aria-describedby", `${id}-name`);
    setAttr(view.rating, "aria-describedby", `${id}-name`);
    setAttr(view.remove, "aria-label", `${T.remove}: ${name}`);
    setAttr(view.select, "id", `${id}-maps`);
    setAttr(view.mapsLabel, "for", `${id}-maps`);
    view.lived.forEach(([input, label], i) => {
      setAttr(input, "name", `${id}-lived`);
      setAttr(input, "id", `${id}-lived-${i + 1}`);
      setAttr(label, "for", `${id}-lived-${i + 1}`);
    });
  }

  function drawPicked() {
    $("#values-count").textContent = fmt(T.values_left, { n: picked.length, limit: round.pick_limit });
    root.querySelectorAll("[data-value-key]").forEach((box) => {
      box.disabled = !box.checked && picked.length >= round.pick_limit;
    });
    return keyed($("#values-picked"), picked, { key: (p) => p.uid, create: createPick, update: updatePick });
  }

  $("#add-own-value").addEventListener("click", () => {
    const input = $("#own-value");
    const words = input.value.trim();
    if (!words || !round || picked.length >= round.pick_limit) return;
    picked.push({ uid: ++uid, custom: words, maps_to: UNMAPPED, lived: null });
    input.value = "";
    drawPicked();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const ballot = {
      picks: picked.map((p) => ({ ...(p.value ? { value: p.value } : { custom: p.custom }),
        maps_to: p.maps_to || null, lived: p.lived })),
      current: [...form.querySelectorAll("input[name=current]:checked")].map((i) => i.value),
      desired: [...form.querySelectorAll("input[name=desired]:checked")].map((i) => i.value),
    };
    // An operation id: resent after a lost answer, it is applied once, and told as counted
    // even when the round ended before the resend.
    const ack = await command("ballot.cast", { ballot, round_id: voteRound(getState()).id, op_id: newOpId() });
    const error = $("#values-error");
    if (ack.ok) {
      error.textContent = "";
      dispatch("ballot.mine", { round_id: ack.me.round_id, voted: true, ballot: ack.me.ballot });
    } else {
      error.textContent = ack.error.message;
    }
  });

  return {
    update(state) {
      const voting = voteRound(state);
      if (!voting || voting.kind !== "values") return;
      round = voting;
      if (builtFor !== voting.id) {
        // Built once per round: live updates never redraw what the person is choosing.
        builtFor = voting.id;
        const mine = myBallot(state);
        picked = (mine.picks || []).map((p) => ({ uid: ++uid, ...(p.value.startsWith("custom:")
          ? { custom: p.words || p.value.slice(7) } : { value: p.value }),
          maps_to: choiceFor(state, p.maps_to), lived: p.lived }));
        buildCatalogue(mine);
        drawPicked();
      }
      setText($("#values-status"), state.me && state.me.voted ? T.values_shared : "");
    },
  };
}

const UNMAPPED_COLUMN = "unmapped"; // the results' column of picks not mapped yet
const GRID_ROWS = 20; // as many personal values as the heatmap picture draws

/** A {one, other} catalogue pair for ``n``, with more placeholders filled from ``values``. */
const counted = (forms, n, values = {}) => fmt(n === 1 ? forms.one : forms.other, { ...values, n });

/** The heatmap's numbers as a table (readable where the picture is too small, as on a
 * phone): a row per personal value, a column per stated value, then "not represented here"
 * and "not mapped yet", each cell shaded by its count. */
function valuesGrid(results) {
  const rows = results.rows.slice(0, GRID_ROWS);
  if (!rows.length) return null;
  const most = Math.max(1, ...rows.flatMap((row) => Object.values(row.counts)));
  const columnClass = (id) => (id === "none" ? "col-none" : id === UNMAPPED_COLUMN ? "col-unmapped" : "");
  // The two columns that are no stated value are named in this page's language.
  const columnName = (c) => (c.id === "none" ? T.not_represented : c.id === UNMAPPED_COLUMN ? T.not_mapped : c.name);
  const table = el("table", { class: "values-grid" },
    el("caption", { text: T.values_grid }),
    el("thead", {}, el("tr", {}, el("th", { scope: "col", text: T.values_grid_value }),
      ...results.columns.map((c) => el("th", { scope: "col", class: columnClass(c.id),
        "data-column": c.id, text: columnName(c) })),
      el("th", { scope: "col", class: "col-total", text: T.values_total }))),
    el("tbody", {}, ...rows.map((row) => el("tr", {}, el("th", { scope: "row", text: valueName(row.key, row.value) }),
      ...results.columns.map((c) => {
        const n = row.counts[c.id] || 0;
        const cell = el("td", { class: [columnClass(c.id), n ? "" : "zero"].filter(Boolean).join(" "),
          "data-label": columnName(c), "data-column": c.id, text: String(n) });
        if (n) cell.style.setProperty("--share", String(n / most));
        return cell;
      }),
      el("td", { class: "col-total", "data-label": T.values_total, text: String(row.total) })))));
  return el("div", { class: "values-grid-wrap" }, table,
    results.rows.length > GRID_ROWS ? el("p", { class: "result-explain", text: fmt(T.values_grid_more, { n: GRID_ROWS }) }) : null);
}

/** The results of a values round: the parts that can change are redrawn, the filter and the
 * picture are kept (a "Show for" choice, and its focus, survive every new ballot). */
export function createValuesResults() {
  const filters = {}; // round id -> "level=…" or "department=…"
  let roundId = null;
  let base = "";
  const picture = el("img", { class: "heatmap", alt: T.heatmap_alt });
  const select = el("select", { onchange: (e) => {
    filters[roundId] = e.target.value;
    picture.src = base + (e.target.value ? "&" + e.target.value : "");
  } });
  const filterLabel = el("label", { text: T.show_for });
  const parts = {
    figure: el("p", { class: "alignment-figure" }),
    definition: el("p", { class: "meta", text: T.alignment_definition }),
    levels: el("ul", { class: "meta" }),
    filter: el("p", {}, filterLabel, select),
    picture,
  };
  const node = el("div", { class: "values-results" });

  /** The results' node for ``results`` of the vote round in ``state``. */
  return (state, results) => {
    const workshop = state.workshop;
    if (roundId !== state.vote.round_id) {
      roundId = state.vote.round_id;
      setAttr(select, "id", `heatmap-filter-${roundId}`);
      setAttr(filterLabel, "for", `heatmap-filter-${roundId}`);
    }
    base = `/w/${workshopId}/rounds/${roundId}/heatmap.svg?v=${results.ballots}`;
    const chosen = filters[roundId] || "";
    const options = workshop.levels.map((l) => "level=" + encodeURIComponent(l))
      .concat(workshop.departments.map((d) => "department=" + encodeURIComponent(d)));
    if (needsRedraw(select, [roundId, options])) {
      fill(select, el("option", { value: "", text: T.filter_all }), ...options.map((value) =>
        el("option", { value, text: decodeURIComponent(value.split("=")[1]) })));
      select.value = chosen;
    }
    const src = base + (chosen ? "&" + chosen : "");
    if (picture.getAttribute("src") !== src) picture.setAttribute("src", src);

    const pct = (x) => (x == null ? "–" : String(Math.round(x * 100)));
    const countedValue = (i) => `${valueName(i.key, i.value)} (${i.count})`;
    const list = (items, textOf) => items.length
      ? el("ul", {}, ...items.map((i) => el("li", { text: textOf(i) })))
      : el("p", { class: "empty", text: T.none_yet });
    const min = results.min_group_size;
    const hidden = results.levels_hidden || 0;
    const hiddenNote = hidden
      ? el("p", { class: "result-hidden", text: counted(T.levels_hidden, hidden, { min }) }) : null;
    setText(parts.figure, fmt(T.alignment, { pct: pct(results.alignment.workshop) }));
    // A level's figure is null when the level is hidden, or when none of its values is placed
    // yet; the count of hidden levels tells the two apart when it can.
    const levelFigures = Object.entries(results.alignment.by_level);
    const nulls = levelFigures.filter(([, value]) => value == null).length;
    const byLevel = levelFigures.map(([level, value]) => el("li", { text: value != null ? `${level}: ${pct(value)}%`
      : hidden === 0 && nulls ? `${level}: ${T.alignment_none}` : fmt(T.level_hidden, { level, n: min }) }));
    fill(parts.levels, ...byLevel);
    const shown = levelFigures.length - hidden;
    const shared = results.shared_across_levels.length
      ? [list(results.shared_across_levels, (i) => valueName(i.key, i.value)), hiddenNote]
      : shown >= 2 ? [el("p", { class: "empty", text: T.shared_none }), hiddenNote]
        : [hiddenNote, el("p", { class: "empty", text: fmt(T.shared_needs_levels, { n: min }) })];
    const unmapped = results.columns.some((c) => c.id === UNMAPPED_COLUMN);
    syncChildren(node, [parts.figure, parts.definition, byLevel.length ? parts.levels : null,
      parts.filter, parts.picture, valuesGrid(results),
      unmapped ? el("p", { class: "result-explain unmapped-note", text: T.unmapped_note }) : null,
      el("div", { class: "result-columns" },
        el("section", {}, el("h3", { text: T.gaps_missing }),
          list(results.not_represented, countedValue)),
        el("section", {}, el("h3", { text: T.gaps_not_lived }),
          list(results.stated_not_lived, (i) => `${i.org_value}: ${decimal(i.mean)} (${i.count})`)),
        el("section", { class: "shared-levels" }, el("h3", { text: T.shared_levels }), ...shared.filter(Boolean))),
      el("div", { class: "result-columns" },
        el("section", {}, el("h3", { text: T.culture_now }),
          list(results.culture.current, countedValue)),
        el("section", {}, el("h3", { text: T.culture_desired }),
          list(results.culture.desired, countedValue)))].filter(Boolean));
    return node;
  };
}
