/**
 * What only a facilitator can do from the console: run the current round (pause, resume,
 * extend, end, reveal), build the agenda (add, start, move, remove rounds, the template),
 * the quick phase buttons and the anonymous read-out, and moderate proposals and comments.
 * Keeping every facilitator command in one module makes it plain which screen may send what;
 * the controls are built once and only shown, hidden or relabelled as the state changes.
 */
import { $, T, root } from "./page.js";
import { el, needsRedraw, syncChildren } from "./dom.js";
import { currentRound, voteRound } from "./state.js";

/** The console: ``command`` sends a command (its refusal is shown in #console-error). */
export function createConsole({ command, getState }) {
  /** Send a facilitator command; its refusal is shown above the console's controls. */
  async function staff(name, payload) {
    const ack = await command(name, payload);
    const node = $("#console-error");
    if (node) node.textContent = ack.ok ? "" : ack.error.message;
    return ack;
  }

  // -- the current round ------------------------------------------------------------------
  const box = $("#round-controls");
  let shown = null; // {round, voting} the buttons act on
  const button = (text, handler, extra = {}) => el("button", { type: "button", text, onclick: handler, ...extra });
  const buttons = box && {
    pause: button(T.pause, () => staff("round.pause", { round_id: shown.round.id })),
    resume: button(T.resume, () => staff("round.resume", { round_id: shown.round.id })),
    extend1: button(T.extend1, () => staff("round.extend", { round_id: shown.round.id, seconds: 60 })),
    extend5: button(T.extend5, () => staff("round.extend", { round_id: shown.round.id, seconds: 300 })),
    end: button(T.end, () => staff("round.end", { round_id: shown.round.id })),
    reveal: button(T.reveal, () => staff("round.reveal", { round_id: shown.voting.id }), { class: "primary" }),
  };

  function updateRoundControls(state) {
    if (!box) return;
    const round = currentRound(state);
    const voting = voteRound(state);
    shown = { round, voting };
    const wanted = [];
    if (round) {
      wanted.push(round.status === "running" ? buttons.pause : buttons.resume,
        buttons.extend1, buttons.extend5, buttons.end);
    }
    if (voting && voting.blind && !voting.revealed) wanted.push(buttons.reveal);
    syncChildren(box, wanted);
  }

  // -- the agenda, the template, quick rounds and the read-out ------------------------------
  const addRound = $("#add-round-form");
  if (addRound) {
    addRound.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = new FormData(addRound);
      const kind = data.get("kind");
      const ack = await staff("round.add", {
        kind,
        prompt: data.get("prompt") || "",
        minutes: Number(data.get("minutes") || 0),
        method: kind === "vote" ? data.get("method") : null,
        anonymity: data.get("anonymity") || null,
        blind: data.get("blind") === "on",
        premoderation: data.get("premoderation") === "on",
        breakdown_by_level: data.get("breakdown_by_level") === "on",
        words: kind === "vocabulary" ? String(data.get("words") || "").split("\n")
          .map((line) => line.split(":")).filter(([word]) => word && word.trim())
          .map(([word, category]) => ({ word: word.trim(), category: (category || "what").trim().toLowerCase() })) : [],
      });
      if (ack.ok) addRound.reset();
    });
  }
  const template = $("#use-template");
  if (template) template.addEventListener("click", () => staff("agenda.template", {}));
  const readout = $("#readout-toggle");
  if (readout) {
    readout.addEventListener("change", async () => {
      const ack = await staff("readout.set", { anonymous: readout.checked });
      if (!ack.ok) readout.checked = getState().workshop.readout_anonymous; // as it still is
    });
  }
  const phaseButtons = [...root.querySelectorAll("[data-set-phase]")];
  for (const phaseButton of phaseButtons) {
    phaseButton.addEventListener("click", () => staff("phase.set", { phase: phaseButton.dataset.setPhase }));
  }

  /** The tools of one agenda item (see round.js): start or go back, move, remove. */
  const agendaTools = {
    create(view) {
      const act = (name, payload) => () => staff(name, payload());
      view.tools = el("span", { class: "agenda-tools" });
      view.start = el("button", { type: "button", class: "small",
        onclick: act("round.start", () => ({ round_id: view.round.id })) });
      view.up = el("button", { type: "button", class: "small", text: "↑", "aria-label": T.move_up,
        onclick: act("round.move", () => ({ round_id: view.round.id, position: view.index - 1 })) });
      view.down = el("button", { type: "button", class: "small", text: "↓", "aria-label": T.move_down,
        onclick: act("round.move", () => ({ round_id: view.round.id, position: view.index + 1 })) });
      view.remove = el("button", { type: "button", class: "small", text: T.remove,
        onclick: act("round.remove", () => ({ round_id: view.round.id })) });
      view.node.append(view.tools);
    },
    update(view, round, index, count, state) {
      view.round = round;
      view.index = index;
      const current = round.id === state.current_round_id;
      view.start.textContent = round.status === "ended" ? T.go_back : T.start;
      syncChildren(view.tools, [current ? null : view.start, index > 0 ? view.up : null,
        index < count - 1 ? view.down : null, round.started_at ? null : view.remove].filter(Boolean));
    },
  };

  // -- moderation ------------------------------------------------------------------------
  /** A proposal's moderation buttons, kept while the card lives. */
  function createModeration() {
    const view = { node: el("div", { class: "moderation", role: "group" }) };
    const id = () => view.proposal.id;
    const make = (handler) => el("button", { type: "button", class: "small", onclick: handler });
    view.approve = make(() => staff("proposal.approve", { proposal_id: id() }));
    view.approve.textContent = T.approve_card;
    view.restore = make(() => staff("proposal.restore", { proposal_id: id() }));
    view.restore.textContent = T.restore;
    view.hide = make(() => {
      const reason = window.prompt(T.hide_reason, "");
      if (reason !== null) staff("proposal.hide", { proposal_id: id(), reason });
    });
    view.hide.textContent = T.hide;
    view.pin = make(() => staff("proposal.pin", { proposal_id: id(), pinned: !view.proposal.pinned }));
    view.merge = make(() => {
      const target = Number(window.prompt(T.merge_prompt, ""));
      if (target) staff("proposal.merge", { keep_id: target, merge_id: id() });
    });
    view.merge.textContent = T.merge;
    view.split = make(() => {
      const text = window.prompt(T.split_prompt, view.proposal.body_md || "");
      if (text) {
        const parts = text.split(/\n?---\n?/).map((p) => p.trim()).filter(Boolean);
        staff("proposal.split", { proposal_id: id(), parts });
      }
    });
    view.split.textContent = T.split;
    view.update = (proposal) => {
      view.proposal = proposal;
      const status = proposal.status || "visible";
      view.pin.textContent = proposal.pinned ? T.unpin : T.pin;
      const wanted = [];
      if (status === "pending") wanted.push(view.approve);
      if (status === "hidden") wanted.push(view.restore);
      else if (status !== "merged") wanted.push(view.hide);
      if (status === "visible") wanted.push(view.pin, view.merge, view.split);
      syncChildren(view.node, wanted);
    };
    return view;
  }

  /** The button that hides, shows again or approves a comment. */
  function createCommentModeration() {
    const view = {};
    view.node = el("button", { type: "button", class: "small",
      onclick: () => staff("comment.moderate", { comment_id: view.comment.id, visible: !view.visible }) });
    view.update = (comment) => {
      view.comment = comment;
      view.visible = !comment.status || comment.status === "visible";
      const text = view.visible ? T.hide : (comment.status === "pending" ? T.approve_card : T.restore);
      if (view.node.textContent !== text) view.node.textContent = text;
    };
    return view;
  }

  return {
    staff,
    agendaTools,
    createModeration,
    createCommentModeration,
    update(state) {
      const phase = state.workshop.phase;
      for (const phaseButton of phaseButtons) {
        phaseButton.setAttribute("aria-pressed", String(phaseButton.dataset.setPhase === phase));
      }
      // Set from the state only when the state changes, so a click is not undone meanwhile.
      if (readout && needsRedraw(readout, state.workshop.readout_anonymous)) {
        readout.checked = state.workshop.readout_anonymous;
      }
      if (template) template.hidden = state.rounds.length > 0;
      updateRoundControls(state);
    },
  };
}
