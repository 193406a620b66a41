/*
 * Live workshop client: one snapshot, then ordered events (docs/protocol.md).
 *
 * The server sends `state.snapshot` on every (re)connect. Every later event
 * carries `seq`; an event that skips a number means we missed something, so
 * we ask for a fresh snapshot instead of showing stale data. Commands that
 * are safe to repeat are re-sent after a reconnect with the same operation id.
 *
 * The same file drives the participant room, the facilitator console, the
 * leadership view and the projector; `data-role` on #live says which.
 */
(function () {
  "use strict";

  const root = document.querySelector("[data-live]");
  if (!root) return;
  const T = JSON.parse(document.getElementById("i18n").textContent);
  const role = root.dataset.role; // participant | facilitator | leadership | projector
  const isStaff = role !== "participant";
  const isFacilitator = role === "facilitator";
  const publicView = role === "participant" || role === "projector";
  const workshopId = Number(root.dataset.workshopId);

  let state = null;
  let awaitingSnapshot = true; // events are held back until a snapshot is loaded
  let buffered = []; // [name, event] received while awaiting a snapshot
  const appliers = {}; // event name -> function applying it to state
  const pending = new Map(); // opId -> {name, payload, resolve}
  let serverOffset = 0; // server clock minus ours, in ms
  const announced = {}; // round id -> what we already announced

  const $ = (sel) => root.querySelector(sel);
  const fmt = (template, values) =>
    template.replace(/%\((\w+)\)s/g, (_, key) => String(values[key] ?? ""));
  const el = (tag, props = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else if (value === true) node.setAttribute(key, "");
      else if (value !== false && value != null) node.setAttribute(key, value);
    }
    node.append(...children.filter((c) => c != null));
    return node;
  };

  /** Replace a node's children, skipping the optional parts that are absent (null). */
  const fill = (node, ...children) => node.replaceChildren(...children.filter((c) => c != null));

  /** "1 dot" / "2 dots": the right form of a {one, other} pair for a count. */
  function plural(forms, n) {
    return fmt(n === 1 ? forms.one : forms.other, { n });
  }

  function announce(text) {
    const node = $("#announcer");
    if (!node) return;
    node.textContent = "";
    window.setTimeout(() => { node.textContent = text; }, 50);
  }

  function notice(text) {
    const box = $("#notices");
    if (!box) return announce(text);
    box.append(el("p", { class: "flash", text }));
  }

  function newOpId() {
    const bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes); // works on plain-http LAN addresses too
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // ---- connection --------------------------------------------------------
  const socket = window.io({ auth: { workshop_id: workshopId } });

  // Commands that are safe to send twice: proposal.submit and comment.add carry
  // an op_id the server applies once; vote.set and ballot.cast are absolute.
  const RESENDABLE = new Set(["proposal.submit", "comment.add", "vote.set", "ballot.cast"]);

  socket.on("connect", () => {
    // No need to arm awaitingSnapshot here: socket.io-client delivers the
    // snapshot sent by the server's connect handler before this event fires.
    setConnection(true);
    for (const [, cmd] of pending) {
      if (RESENDABLE.has(cmd.name)) sendNow(cmd);
      else {
        pending.delete(cmd.opId);
        cmd.resolve({ ok: false, error: { code: "unconfirmed", message: T.unconfirmed } });
      }
    }
  });
  socket.on("disconnect", () => {
    setConnection(false);
    awaitingSnapshot = true;
  });
  socket.on("connect_error", () => setConnection(false));

  function setConnection(ok) {
    const node = $("#connection");
    if (node) {
      node.textContent = ok ? "" : T.reconnecting;
      node.classList.toggle("offline", !ok);
    }
    root.dataset.connected = ok ? "yes" : "no";
  }

  function sendNow(cmd) {
    socket.emit(cmd.name, cmd.payload, (ack) => {
      pending.delete(cmd.opId);
      cmd.resolve(ack || { ok: false, error: { code: "no_ack", message: "" } });
    });
  }

  /** Send a command; resolves with the server's acknowledgement. */
  function command(name, payload) {
    return new Promise((resolve) => {
      const cmd = { name, payload, opId: payload.op_id || newOpId(), resolve };
      pending.set(cmd.opId, cmd);
      if (socket.connected) sendNow(cmd);
    });
  }

  /** Ask for a fresh snapshot (once at a time) after a missed event. */
  function resync() {
    if (awaitingSnapshot) return;
    awaitingSnapshot = true;
    socket.emit("state.sync", { token: ballotToken() }, (ack) => {
      if (ack && ack.ok) loadSnapshot(ack.snapshot);
      else awaitingSnapshot = false;
    });
  }

  // ---- anonymous ballot tokens (fully anonymous rounds) -------------------
  const tokenKey = (roundId) => `mission-workshop:ballot:${workshopId}:${roundId}`;
  function ballotToken() {
    const roundId = state && state.vote && state.vote.round_id;
    if (!roundId) return null;
    try { return window.localStorage.getItem(tokenKey(roundId)); } catch { return null; }
  }
  function keepToken(roundId, token) {
    if (!token) return;
    try { window.localStorage.setItem(tokenKey(roundId), token); } catch { /* private mode */ }
  }

  // ---- state -------------------------------------------------------------
  /** Start from a snapshot, then replay what arrived meanwhile and is newer. */
  function loadSnapshot(snapshot) {
    state = snapshot;
    awaitingSnapshot = false;
    root.setAttribute("aria-busy", "false");
    noteServerTime(state.rounds);
    const held = buffered.sort((a, b) => a[1].seq - b[1].seq);
    buffered = [];
    for (const [name, event] of held) receive(name, event, false);
    render();
    // A fully anonymous ballot is only known to this browser: fetch it with our token.
    if (role === "participant" && state.me && state.me.voted && !state.me.ballot && ballotToken()) {
      socket.emit("state.sync", { token: ballotToken() }, (ack) => {
        if (ack && ack.ok && state) { state.me = ack.snapshot.me; render(); }
      });
    }
  }
  socket.on("state.snapshot", loadSnapshot);

  /** Apply a sequenced event in order; hold it while syncing; resync on a gap. */
  function receive(name, event, draw = true) {
    if (awaitingSnapshot || !state) { buffered.push([name, event]); return; }
    if (event.seq <= state.seq) return; // already part of our state
    if (event.seq !== state.seq + 1) {
      buffered.push([name, event]);
      resync();
      return;
    }
    state.seq = event.seq;
    appliers[name](event);
    if (draw) render();
  }

  function sequenced(name, apply) {
    appliers[name] = apply;
    socket.on(name, (event) => receive(name, event));
  }

  function noteServerTime(rounds) {
    const sample = (rounds || []).find((r) => r.server_now);
    if (sample) serverOffset = Date.parse(sample.server_now) - Date.now();
  }

  function upsertProposal(proposal) {
    const index = state.proposals.findIndex((p) => p.id === proposal.id);
    if (index === -1) state.proposals.push(proposal);
    else state.proposals[index] = proposal;
  }

  sequenced("seq.skip", () => {});
  sequenced("participant.joined", () => {});
  sequenced("proposal.submitted", (e) => {
    const isNew = !state.proposals.some((p) => p.id === e.proposal.id);
    upsertProposal(e.proposal);
    if (isNew && e.proposal.authors && e.proposal.authors.length) {
      announce(fmt(T.new_proposal, { name: e.proposal.authors[0].name }));
    }
  });
  sequenced("proposal.updated", (e) => upsertProposal(e.proposal));
  sequenced("proposal.removed", (e) => {
    state.proposals = state.proposals.filter((p) => p.id !== e.proposal_id);
  });
  sequenced("phase.changed", (e) => {
    state.workshop.phase = e.phase;
    state.workshop.phase_changed_at = e.phase_changed_at;
    announce(fmt(T.phase_announce, { phase: T.phases[e.phase] }));
  });
  sequenced("presence.changed", (e) => { state.presence = e.presence; });
  sequenced("amendment.proposed", (e) => upsertAmendment(e.amendment));
  sequenced("amendment.updated", (e) => upsertAmendment(e.amendment));
  socket.on("amendment.mine", (e) => {
    if (!state) return;
    state.my_amendment_votes = { ...(state.my_amendment_votes || {}), [String(e.amendment_id)]: e.choice };
    render();
  });

  function upsertAmendment(amendment) {
    const others = (state.amendments || []).filter((a) => a.id !== amendment.id);
    state.amendments = [...others, amendment].sort((a, b) => a.id - b.id);
  }

  sequenced("document.wording", (e) => {
    state.wording = { budget: e.budget, coverage: e.coverage, words: e.words };
  });
  sequenced("document.saved", (e) => {
    state.document = e.version;
    state.wording = { budget: e.budget, coverage: e.coverage, words: e.words };
    announce(fmt(T.draft_saved, { number: e.version.number }));
  });
  sequenced("workshop.updated", (e) => { state.workshop = e.workshop; });
  sequenced("agenda.changed", (e) => {
    state.rounds = e.rounds;
    noteServerTime(e.rounds);
    const running = e.rounds.find((r) => r.status === "running" || r.status === "paused");
    state.current_round_id = running ? running.id : null;
  });
  sequenced("round.updated", (e) => {
    state.rounds = state.rounds.map((r) => (r.id === e.round.id ? e.round : r));
    noteServerTime([e.round]);
  });
  sequenced("round.tallied", (e) => {
    state.vote = { round_id: e.round_id, voters: e.voters, results: e.results || null };
    if (role === "participant" && (!state.me || state.me.round_id !== e.round_id)) {
      // Another voting round took over (perhaps one reopened where we voted): ask for our ballot.
      state.me = { round_id: e.round_id, voted: false, ballot: null };
      window.setTimeout(resync, 0);
    }
  });

  // Personal messages: no sequence number, absolute state or a notice.
  socket.on("ballot.mine", (mine) => { if (state) { state.me = mine; render(); } });
  socket.on("proposal.moderated", (e) => {
    notice(e.status === "hidden" ? fmt(T.your_hidden, { reason: e.reason || "—" }) : T.your_restored);
  });
  socket.on("comment.moderated", (e) => {
    notice(fmt(T.your_hidden, { reason: e.reason || "—" }));
  });

  // ---- derived state -----------------------------------------------------
  const currentRound = () =>
    state.rounds.find((r) => r.id === state.current_round_id) || null;
  const voteRound = () =>
    (state.vote && state.rounds.find((r) => r.id === state.vote.round_id)) || null;
  const proposalById = (id) => state.proposals.find((p) => p.id === id);

  function secondsLeft(round) {
    if (!round) return null;
    if (round.status === "paused") return round.remaining_seconds;
    if (round.status !== "running" || !round.ends_at) return null;
    return Math.max(0, Math.round((Date.parse(round.ends_at) - (Date.now() + serverOffset)) / 1000));
  }

  function inputOpen(round) {
    if (!round || round.status !== "running") return false;
    const left = secondsLeft(round);
    return left === null || left > 0;
  }

  function clockText(seconds) {
    const m = Math.floor(seconds / 60);
    const s = String(seconds % 60).padStart(2, "0");
    return `${m}:${s}`;
  }

  function plainText(html, limit = 80) {
    const div = document.createElement("div");
    div.innerHTML = html; // sanitised on the server
    const text = div.textContent.trim();
    return text.length > limit ? text.slice(0, limit - 1) + "…" : text;
  }

  function label(id) {
    const p = proposalById(id);
    return `#${id} ${p ? plainText(p.body_html, 60) : ""}`;
  }

  // ---- rendering ---------------------------------------------------------
  function render() {
    if (!state) return;
    const phase = state.workshop.phase;
    root.dataset.phase = phase;
    const title = $("#workshop-title");
    if (title) title.textContent = state.workshop.title;
    const brief = $("#brief");
    if (brief) brief.innerHTML = state.workshop.brief_html; // sanitised on the server

    root.querySelectorAll("#phase-list li").forEach((li) => {
      const current = li.dataset.phase === phase;
      li.classList.toggle("current", current);
      if (current) li.setAttribute("aria-current", "step");
      else li.removeAttribute("aria-current");
    });
    root.querySelectorAll("[data-when]").forEach((section) => {
      section.hidden = !section.dataset.when.split(" ").includes(phase);
    });
    root.querySelectorAll("[data-set-phase]").forEach((button) => {
      button.setAttribute("aria-pressed", String(button.dataset.setPhase === phase));
    });
    const readout = $("#readout-toggle");
    if (readout) readout.checked = state.workshop.readout_anonymous;
    renderRound();
    renderAgenda();
    renderRoundControls();
    renderPresence();
    renderVoting();
    renderValuesForm();
    renderResults();
    renderDocument();
    renderCoverage();
    renderAmendments();
    renderProposals();
  }

  function renderRound() {
    const round = currentRound();
    const kindNode = $("#round-kind");
    const promptNode = $("#round-prompt");
    const note = $("#anonymity-note");
    if (!kindNode || !promptNode) return;
    if (!round) {
      kindNode.textContent = T.phases[state.workshop.phase] || "";
      const anyStarted = state.rounds.some((r) => r.started_at);
      promptNode.textContent = anyStarted ? T.round_ended
        : (state.rounds.length ? T.waiting_first : T.no_agenda);
    } else {
      const parts = [fmt(T.round_of, { n: round.position + 1, total: state.rounds.length }),
        T.kinds[round.kind]];
      if (round.kind === "vote") parts.push(T.methods[round.method]);
      kindNode.textContent = parts.join(" · ");
      promptNode.textContent = round.prompt || T.kinds[round.kind];
      if (!announced[round.id]) {
        const first = Object.keys(announced).length === 0;
        announced[round.id] = { started: true };
        announce(fmt(T.round_started, { prompt: round.prompt || T.kinds[round.kind] }));
        if (!first && role === "participant") bringToRound();
      }
    }
    if (note) {
      const mode = (round && round.anonymity) || state.workshop.anonymity;
      note.textContent = T.anonymity[mode] || "";
    }
    renderTimer();
  }

  /** A new round started: take the participant to it, unless they are typing. */
  function bringToRound() {
    const active = document.activeElement;
    if (active && (active.tagName === "TEXTAREA" || active.tagName === "INPUT")) return;
    const heading = $("#round-prompt");
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
    heading.scrollIntoView({ block: "start", behavior: "smooth" });
  }

  function renderTimer() {
    const node = $("#timer");
    if (!node || !state) return;
    const round = currentRound();
    const left = secondsLeft(round);
    node.classList.toggle("paused", !!round && round.status === "paused");
    node.classList.toggle("up", left === 0);
    if (!round || left === null) { node.textContent = ""; return; }
    if (round.status === "paused") {
      node.textContent = `${T.paused} · ${clockText(left)}`;
      return;
    }
    node.textContent = left === 0 ? T.time_up : fmt(T.time_left, { time: clockText(left) });
    const seen = announced[round.id] || (announced[round.id] = {});
    if (left === 0 && !seen.up) { seen.up = true; announce(T.time_up); render(); }
    else if (left <= 60 && left > 55 && !seen.minute) { seen.minute = true; announce(T.one_minute); }
  }
  window.setInterval(renderTimer, 1000);

  function renderAgenda() {
    const list = $("#agenda");
    if (!list) return;
    list.replaceChildren();
    const useTemplate = $("#use-template");
    if (useTemplate) useTemplate.hidden = state.rounds.length > 0;
    if (!state.rounds.length) {
      list.append(el("li", { class: "empty", text: T.no_agenda }));
      return;
    }
    state.rounds.forEach((round, index) => {
      const current = round.id === state.current_round_id;
      const minutes = round.duration_seconds ? ` · ${Math.round(round.duration_seconds / 60)}′` : "";
      const item = el("li", {
        class: `agenda-item status-${round.status}${current ? " current" : ""}`,
        "aria-current": current ? "step" : null,
      },
      el("span", { class: "agenda-kind", text: T.kinds[round.kind] + (round.kind === "vote" ? ` (${T.methods[round.method]})` : "") + minutes }),
      el("span", { class: "agenda-prompt", text: round.prompt || "" }));
      if (isFacilitator) {
        const tools = el("span", { class: "agenda-tools" });
        if (!current) {
          tools.append(el("button", {
            type: "button", class: "small",
            text: round.status === "ended" ? T.go_back : T.start,
            onclick: () => staff("round.start", { round_id: round.id }),
          }));
        }
        if (index > 0) {
          tools.append(el("button", { type: "button", class: "small", text: "↑", "aria-label": T.move_up,
            onclick: () => staff("round.move", { round_id: round.id, position: index - 1 }) }));
        }
        if (index < state.rounds.length - 1) {
          tools.append(el("button", { type: "button", class: "small", text: "↓", "aria-label": T.move_down,
            onclick: () => staff("round.move", { round_id: round.id, position: index + 1 }) }));
        }
        if (!round.started_at) {
          tools.append(el("button", { type: "button", class: "small", text: T.remove,
            onclick: () => staff("round.remove", { round_id: round.id }) }));
        }
        item.append(tools);
      }
      list.append(item);
    });
  }

  function renderRoundControls() {
    const box = $("#round-controls");
    if (!box) return;
    box.replaceChildren();
    const round = currentRound();
    const button = (text, name, payload, extra = {}) =>
      el("button", { type: "button", text, onclick: () => staff(name, payload), ...extra });
    if (round) {
      if (round.status === "running") box.append(button(T.pause, "round.pause", { round_id: round.id }));
      else box.append(button(T.resume, "round.resume", { round_id: round.id }));
      box.append(button(T.extend1, "round.extend", { round_id: round.id, seconds: 60 }));
      box.append(button(T.extend5, "round.extend", { round_id: round.id, seconds: 300 }));
      box.append(button(T.end, "round.end", { round_id: round.id }));
    }
    const voting = voteRound();
    if (voting && voting.blind && !voting.revealed) {
      box.append(button(T.reveal, "round.reveal", { round_id: voting.id }, { class: "primary" }));
    }
  }

  function bars(container, counts, order) {
    container.replaceChildren();
    const keys = order.filter((k) => counts[k]);
    const max = Math.max(1, ...keys.map((k) => counts[k]));
    if (!keys.length) {
      container.append(el("p", { class: "empty", text: T.nobody_online }));
      return;
    }
    for (const key of keys) {
      const fill = el("span", { class: "bar-fill" });
      fill.style.width = (100 * counts[key] / max) + "%";
      container.append(el("div", { class: "bar-row" },
        el("span", { class: "bar-label", text: key }),
        el("span", { class: "bar" }, fill),
        el("span", { class: "bar-value", text: String(counts[key]) })));
    }
  }

  function renderPresence() {
    const p = state.presence;
    root.querySelectorAll("[data-presence-line]").forEach((node) => {
      node.textContent = fmt(T.online, { online: p.online, joined: p.joined });
    });
    const levels = $("#presence-levels");
    if (levels) bars(levels, p.by_level, state.workshop.levels);
    const departments = $("#presence-departments");
    if (departments) {
      const names = state.workshop.departments.length
        ? state.workshop.departments : Object.keys(p.by_department || {});
      bars(departments, p.by_department || {}, names);
    }
  }

  // ---- voting --------------------------------------------------------------
  const myBallot = () => (state.me && state.me.ballot) || {};

  function renderVoting() {
    if (role !== "participant") return;
    const round = voteRound();
    const method = $("#vote-method");
    const status = $("#ballot-status");
    const budget = $("#budget");
    if (!round || !method) return;
    method.textContent = T.methods[round.method] || "";
    status.textContent = [
      state.me && state.me.voted ? T.you_voted : T.not_voted,
      plural(T.voters, state.vote ? state.vote.voters : 0),
    ].join(" ");
    budget.hidden = round.method !== "dot";
    if (round.method === "dot") {
      budget.textContent = fmt(T.dots_left, { left: dotsLeft(round), budget: round.dots_budget });
    }
    renderRanking(round);
    renderVocabulary(round);
  }

  function renderVocabulary(round) {
    const panel = $("#vocabulary-ballot");
    if (!panel) return;
    panel.hidden = round.method !== "vocabulary";
    if (panel.hidden) return;
    const votes = myBallot().votes || {};
    const open = inputOpen(currentRound()) && currentRound() && currentRound().id === round.id;
    const groups = Object.keys(T.categories).map((category) => {
      const words = (round.words || []).filter((w) => w.category === category);
      if (!words.length) return null;
      return el("fieldset", { class: "value-group" }, el("legend", { text: T.categories[category] }),
        ...words.map((w, i) => {
          const id = `word-${category}-${i}`;
          const option = (choice, text) => el("span", { class: "score-option" },
            el("input", { type: "radio", name: id, id: `${id}-${choice}`, value: choice,
              checked: votes[w.word] === choice, disabled: !open,
              onchange: () => cast({ votes: { ...votes, [w.word]: choice } }) }),
            el("label", { for: `${id}-${choice}`, text }));
          return el("div", { class: "word-vote" }, el("strong", { text: w.word }),
            option("include", T.include), option("exclude", T.exclude));
        }));
    });
    panel.replaceChildren(...groups.filter(Boolean));
  }

  function dotsLeft(round) {
    const visible = new Set(state.proposals.map((p) => String(p.id)));
    const dots = myBallot().dots || {};
    const spent = Object.entries(dots).reduce((sum, [id, n]) => sum + (visible.has(id) ? n : 0), 0);
    return Math.max(round.dots_budget - spent, 0);
  }

  async function cast(ballot) {
    const round = voteRound();
    const ack = await command("ballot.cast", { ballot, round_id: round.id, token: ballotToken() });
    afterVote(ack);
  }

  async function setDots(proposalId, dots) {
    const ack = await command("vote.set", { proposal_id: proposalId, dots, token: ballotToken() });
    afterVote(ack);
    if (ack.ok) {
      const again = root.querySelector(`[data-proposal-id="${proposalId}"] [data-vote="${dots > 0 ? "plus" : "minus"}"]`);
      if (again && !again.disabled) again.focus();
    }
  }

  function afterVote(ack) {
    const error = $("#vote-error");
    if (ack.ok) {
      if (ack.me.token) keepToken(ack.me.round_id, ack.me.token);
      state.me = { round_id: ack.me.round_id, voted: true, ballot: ack.me.ballot };
      if (error) error.textContent = "";
      render();
    } else if (error) {
      error.textContent = ack.error.message;
    }
  }

  function ballotControls(proposal, round) {
    const ballot = myBallot();
    const id = String(proposal.id);
    if (round.method === "dot") {
      const mine = (ballot.dots || {})[id] || 0;
      const left = dotsLeft(round);
      const capped = round.dots_cap != null && mine >= round.dots_cap;
      return el("div", { class: "vote-controls", role: "group", "aria-label": T.your_dots },
        el("button", { type: "button", text: "−", "aria-label": T.remove_dot, "data-vote": "minus",
          disabled: mine === 0, onclick: () => setDots(proposal.id, mine - 1) }),
        el("output", { class: "my-dots", text: String(mine) }),
        el("button", { type: "button", text: "+", "aria-label": T.add_dot, "data-vote": "plus",
          disabled: left === 0 || capped, onclick: () => setDots(proposal.id, mine + 1) }));
    }
    if (round.method === "approval") {
      const approved = new Set((ballot.approved || []).map(String));
      const box = el("input", { type: "checkbox", id: `approve-${id}`, checked: approved.has(id),
        onchange: (event) => {
          const next = new Set(approved);
          if (event.target.checked) next.add(id); else next.delete(id);
          cast({ approved: [...next].map(Number) });
        } });
      return el("div", { class: "check vote-controls" }, box,
        el("label", { for: `approve-${id}`, text: T.approve }));
    }
    if (round.method === "score") {
      const current = (ballot.scores || {})[id];
      const group = el("fieldset", { class: "score-controls" }, el("legend", { text: T.score_label }));
      for (let n = 0; n <= 5; n += 1) {
        const input = el("input", { type: "radio", name: `score-${id}`, id: `score-${id}-${n}`,
          value: String(n), checked: current === n,
          onchange: () => cast({ scores: { ...(ballot.scores || {}), [id]: n } }) });
        group.append(el("span", { class: "score-option" }, input,
          el("label", { for: `score-${id}-${n}`, text: String(n) })));
      }
      return group;
    }
    if (round.method === "ranked") {
      const ranking = ballot.ranking || [];
      if (ranking.includes(proposal.id)) {
        return el("p", { class: "tag-rank", text: `${T.my_ranking}: ${ranking.indexOf(proposal.id) + 1}` });
      }
      return el("button", { type: "button", class: "small", text: T.add_to_ranking,
        onclick: () => cast({ ranking: [...ranking, proposal.id] }) });
    }
    if (round.method === "consent") {
      const answer = (ballot.consent || {})[id] || {};
      const form = el("form", { class: "consent-controls" });
      const group = el("fieldset", {}, el("legend", { text: T.methods.consent }));
      for (const choice of ["agree", "live_with", "object"]) {
        group.append(el("span", { class: "score-option" },
          el("input", { type: "radio", name: `consent-${id}`, id: `consent-${id}-${choice}`,
            value: choice, checked: answer.choice === choice }),
          el("label", { for: `consent-${id}-${choice}`, text: T[`consent_${choice}`] })));
      }
      const reason = el("textarea", { id: `reason-${id}`, rows: "2", maxlength: "500" });
      reason.value = answer.reason || "";
      form.append(group, el("label", { for: `reason-${id}`, text: T.consent_reason }), reason,
        el("button", { type: "submit", class: "small", text: T.send }));
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const choice = form.querySelector("input:checked");
        if (!choice) return;
        const consent = { ...(ballot.consent || {}),
          [id]: { choice: choice.value, reason: reason.value } };
        cast({ consent });
      });
      return form;
    }
    return null;
  }

  function renderRanking(round) {
    const panel = $("#my-ranking");
    if (!panel) return;
    panel.hidden = round.method !== "ranked";
    if (panel.hidden) return;
    const ranking = myBallot().ranking || [];
    const list = el("ol", { class: "ranking" });
    ranking.forEach((id, index) => {
      const move = (to) => {
        const next = [...ranking];
        next.splice(index, 1);
        if (to !== null) next.splice(to, 0, id);
        cast({ ranking: next });
      };
      list.append(el("li", {}, el("span", { text: label(id) }),
        el("span", { class: "agenda-tools" },
          el("button", { type: "button", class: "small", text: "↑", "aria-label": `${T.move_up}: ${label(id)}`,
            disabled: index === 0, onclick: () => move(index - 1) }),
          el("button", { type: "button", class: "small", text: "↓", "aria-label": `${T.move_down}: ${label(id)}`,
            disabled: index === ranking.length - 1, onclick: () => move(index + 1) }),
          el("button", { type: "button", class: "small", text: T.remove, "aria-label": `${T.remove}: ${label(id)}`,
            onclick: () => move(null) }))));
    });
    panel.replaceChildren(el("h3", { text: T.my_ranking }),
      ranking.length ? list : el("p", { class: "empty", text: T.empty_ranking }));
  }

  // ---- results -------------------------------------------------------------
  function resultBars(items, valueOf, textOf, winner) {
    const max = Math.max(1, ...items.map(valueOf));
    const box = el("div", { class: "bars results-bars" });
    for (const item of items) {
      const fill = el("span", { class: "bar-fill" });
      fill.style.width = (100 * valueOf(item) / max) + "%";
      box.append(el("div", { class: "bar-row wide" + (item.proposal_id === winner ? " winner" : "") },
        el("span", { class: "bar-label", text: label(item.proposal_id) }),
        el("span", { class: "bar" }, fill),
        el("span", { class: "bar-value", text: textOf(item) })));
    }
    return box;
  }

  function methodResults(results) {
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
    if (results.method === "values") return valuesResults(results);
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

  function renderResults() {
    const card = $("#results-card");
    if (!card) return;
    const vote = state.vote;
    const round = voteRound();
    card.hidden = !vote || !round;
    if (card.hidden) return;
    $("#voter-count").textContent = plural(T.voters, vote.voters);
    const box = $("#results");
    // Rebuild only when the results changed, so choices like "Show for" survive other events.
    const key = JSON.stringify([vote.round_id, vote.results, state.proposals.length]);
    if (box.dataset.key === key) return;
    box.dataset.key = key;
    box.replaceChildren();
    if (!vote.results) {
      box.append(el("p", { class: "empty", text: T.results_hidden }));
      return;
    }
    box.append(methodResults(vote.results));
    if (vote.results.by_level) {
      const section = el("section", {}, el("h3", { text: T.by_level }));
      for (const [level, result] of Object.entries(vote.results.by_level)) {
        section.append(el("h4", { text: level }));
        section.append(result ? methodResults(result)
          : el("p", { class: "meta", text: fmt(T.suppressed, { n: vote.results.min_group_size }) }));
      }
      box.append(section);
    }
  }

  // ---- values ----------------------------------------------------------------
  const catalogueNode = document.getElementById("catalogue");
  const catalogue = catalogueNode ? JSON.parse(catalogueNode.textContent) : [];
  const catalogueName = Object.fromEntries(
    catalogue.flatMap((g) => g.values.map((v) => [v.key, v.name])));
  let valuesFormRound = null; // the round the form was built for
  let picked = []; // [{value|custom, maps_to, lived}]

  function renderValuesForm() {
    const form = $("#values-form");
    const round = voteRound();
    if (!form || !round || round.method !== "values") return;
    if (valuesFormRound !== round.id) {
      // Built once per round: live updates never redraw what the person is choosing.
      valuesFormRound = round.id;
      const mine = myBallot();
      picked = (mine.picks || []).map((p) => p.value.startsWith("custom:")
        ? { custom: p.words || p.value.slice(7), maps_to: p.maps_to, lived: p.lived }
        : { value: p.value, maps_to: p.maps_to, lived: p.lived });
      buildCatalogue(round, mine);
      drawPicked(round);
    }
    $("#values-status").textContent = state.me && state.me.voted ? T.values_shared : "";
  }

  function buildCatalogue(round, mine) {
    const box = $("#values-catalogue");
    box.replaceChildren(...catalogue.map((group) => el("fieldset", { class: "value-group" },
      el("legend", { text: group.name }),
      ...group.values.map((value) => el("span", { class: "value-option" },
        el("input", { type: "checkbox", id: `value-${value.key}`, value: value.key,
          "data-value-key": value.key, checked: picked.some((p) => p.value === value.key),
          onchange: (event) => togglePick(value.key, event.target.checked, round) }),
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

  function togglePick(key, on, round) {
    if (on && !picked.some((p) => p.value === key)) {
      if (picked.length >= round.pick_limit) {
        const box = root.querySelector(`[data-value-key="${key}"]`);
        if (box) box.checked = false;
        return;
      }
      picked.push({ value: key, maps_to: null, lived: null });
    } else if (!on) {
      picked = picked.filter((p) => p.value !== key);
    }
    drawPicked(round);
  }

  function drawPicked(round) {
    const list = $("#values-picked");
    $("#values-count").textContent = fmt(T.values_left, { n: picked.length, limit: round.pick_limit });
    root.querySelectorAll("[data-value-key]").forEach((box) => {
      box.disabled = !box.checked && picked.length >= round.pick_limit;
    });
    list.replaceChildren(...picked.map((pick, index) => {
      const name = pick.value ? (catalogueName[pick.value] || pick.value) : pick.custom;
      const id = `pick-${index}`;
      const select = el("select", { id: `${id}-maps`, onchange: (e) => { pick.maps_to = e.target.value || null; } },
        el("option", { value: "", text: T.not_represented }),
        ...state.workshop.values.map((v) => el("option", { value: String(v.id), text: v.name,
          selected: String(pick.maps_to) === String(v.id) })));
      const rating = el("fieldset", { class: "score-controls" }, el("legend", { text: T.lived }));
      for (let n = 1; n <= 5; n += 1) {
        rating.append(el("span", { class: "score-option" },
          el("input", { type: "radio", name: `${id}-lived`, id: `${id}-lived-${n}`, value: String(n),
            checked: pick.lived === n, onchange: () => { pick.lived = n; } }),
          el("label", { for: `${id}-lived-${n}`, text: String(n) })));
      }
      return el("li", { class: "pick" },
        el("strong", { text: name }),
        el("button", { type: "button", class: "small", text: T.remove, "aria-label": `${T.remove}: ${name}`,
          onclick: () => {
            picked.splice(index, 1);
            const box = pick.value && root.querySelector(`[data-value-key="${pick.value}"]`);
            if (box) box.checked = false;
            drawPicked(round);
          } }),
        el("label", { for: `${id}-maps`, text: T.maps_to }), select, rating);
    }));
  }

  const valuesForm = $("#values-form");
  if (valuesForm) {
    $("#add-own-value").addEventListener("click", () => {
      const input = $("#own-value");
      const words = input.value.trim();
      const round = voteRound();
      if (!words || !round || picked.length >= round.pick_limit) return;
      picked.push({ custom: words, maps_to: null, lived: null });
      input.value = "";
      drawPicked(round);
    });
    valuesForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      const round = voteRound();
      const ballot = {
        picks: picked.map((p) => ({ ...(p.value ? { value: p.value } : { custom: p.custom }),
          maps_to: p.maps_to, lived: p.lived })),
        current: [...valuesForm.querySelectorAll("input[name=current]:checked")].map((i) => i.value),
        desired: [...valuesForm.querySelectorAll("input[name=desired]:checked")].map((i) => i.value),
      };
      const ack = await command("ballot.cast", { ballot, round_id: round.id, token: ballotToken() });
      const error = $("#values-error");
      if (ack.ok) {
        if (ack.me.token) keepToken(ack.me.round_id, ack.me.token);
        state.me = { round_id: ack.me.round_id, voted: true, ballot: ack.me.ballot };
        error.textContent = "";
        render();
      } else {
        error.textContent = ack.error.message;
      }
    });
  }

  const heatmapFilter = {}; // round id -> "level=…" or "department=…"

  function valuesResults(results) {
    const roundId = state.vote.round_id;
    const base = `/w/${workshopId}/rounds/${roundId}/heatmap.svg?v=${results.ballots}`;
    const chosen = heatmapFilter[roundId] || "";
    const picture = el("img", { class: "heatmap", src: base + (chosen ? "&" + chosen : ""),
      alt: T.heatmap_alt });
    const filter = el("select", { id: `heatmap-filter-${roundId}`,
      onchange: (e) => {
        heatmapFilter[roundId] = e.target.value;
        picture.src = base + (e.target.value ? "&" + e.target.value : "");
      } },
      el("option", { value: "", text: T.filter_all }),
      ...state.workshop.levels.map((l) => "level=" + encodeURIComponent(l))
        .concat(state.workshop.departments.map((d) => "department=" + encodeURIComponent(d)))
        .map((value) => el("option", { value, selected: value === chosen,
          text: decodeURIComponent(value.split("=")[1]) })));
    const pct = (x) => (x == null ? "–" : String(Math.round(x * 100)));
    const list = (items, textOf) => items.length
      ? el("ul", {}, ...items.map((i) => el("li", { text: textOf(i) })))
      : el("p", { class: "empty", text: T.none_yet });
    const byLevel = Object.entries(results.alignment.by_level).map(([level, value]) =>
      el("li", { text: `${level}: ${value == null ? fmt(T.suppressed, { n: results.min_group_size }) : pct(value) + "%"}` }));
    return el("div", { class: "values-results" },
      el("p", { class: "alignment-figure", text: fmt(T.alignment, { pct: pct(results.alignment.workshop) }) }),
      el("p", { class: "meta", text: T.alignment_definition }),
      byLevel.length ? el("ul", { class: "meta" }, ...byLevel) : null,
      el("p", {}, el("label", { for: filter.id, text: T.show_for }), filter),
      picture,
      el("div", { class: "side-by-side" },
        el("section", {}, el("h3", { text: T.gaps_missing }),
          list(results.not_represented, (i) => `${i.value} (${i.count})`)),
        el("section", {}, el("h3", { text: T.gaps_not_lived }),
          list(results.stated_not_lived, (i) => `${i.org_value}: ${i.mean} (${i.count})`)),
        el("section", {}, el("h3", { text: T.shared_levels }),
          list(results.shared_across_levels, (i) => i))),
      el("div", { class: "side-by-side" },
        el("section", {}, el("h3", { text: T.culture_now }),
          list(results.culture.current, (i) => `${i.value} (${i.count})`)),
        el("section", {}, el("h3", { text: T.culture_desired }),
          list(results.culture.desired, (i) => `${i.value} (${i.count})`))));
  }

  // ---- document ------------------------------------------------------------
  function renderDocument() {
    const node = $("#document");
    if (!node) return;
    if (!state.document) {
      node.replaceChildren(el("p", { class: "empty", text: T.no_draft }));
      return;
    }
    const d = state.document;
    const body = el("div", { class: "document-body" });
    body.innerHTML = d.html; // sanitised on the server
    const signoffs = (d.signoffs || []).map((s) =>
      el("li", { text: fmt(T.signed_off, { name: s.name }) + (s.comment ? ` — “${s.comment}”` : "") }));
    fill(node,
      d.final ? el("p", { class: "final-badge", text: T.final_version }) : null,
      el("p", { class: "meta", text:
        fmt(T.version, { number: d.number }) + (d.name ? ` · ${d.name}` : "") + " · " +
        fmt(T.by, { name: d.author }) + (d.note ? " · " + d.note : "") }),
      body,
      signoffs.length ? el("ul", { class: "signoffs" }, ...signoffs) : null);
  }

  function renderAmendments() {
    const list = $("#amendments");
    if (!list) return;
    const source = $("#amend-source");
    if (source && state.document && source.dataset.version !== String(state.document.number)) {
      source.value = state.document.body_md || "";
      source.dataset.version = String(state.document.number);
    }
    const amendments = [...(state.amendments || [])].reverse();
    if (!amendments.length) {
      list.replaceChildren(el("li", { class: "empty", text: T.no_amendments }));
      return;
    }
    const mine = state.my_amendment_votes || {};
    list.replaceChildren(...amendments.map((a) => {
      const diff = el("p", { class: "diff" }, ...a.diff.map((piece) =>
        piece.op === "insert" ? el("ins", { text: piece.text })
          : piece.op === "delete" ? el("del", { text: piece.text }) : piece.text));
      const meta = [fmt(T.on_version, { n: a.version_number }), T.amend_status[a.status]];
      if (a.author) meta.unshift(a.author.name + " · " + a.author.level);
      const item = el("li", { class: `amendment status-${a.status}` }, diff,
        a.reason ? el("p", { text: a.reason }) : null,
        el("p", { class: "meta", text: meta.join(" · ") }),
        el("p", { class: "meta", text: fmt(T.amend_counts, a.counts) }),
        a.objections.length ? el("ul", { class: "meta" }, ...a.objections.map((r) => el("li", { text: r }))) : null,
        a.decided_note ? el("p", { class: "meta", text: a.decided_note }) : null,
        valueTags(a, "amendment_id", a.status === "open"));
      if (role === "participant" && a.status === "open") {
        const group = el("div", { class: "moderation", role: "group" });
        for (const choice of ["agree", "live_with", "object"]) {
          group.append(el("button", { type: "button", class: "small",
            "aria-pressed": String(mine[String(a.id)] === choice), text: T[`consent_${choice}`],
            onclick: async () => {
              let reason = "";
              if (choice === "object") {
                reason = window.prompt(T.object_reason, "") || "";
                if (!reason.trim()) return;
              }
              const ack = await command("amendment.vote", { amendment_id: a.id, choice, reason });
              if (!ack.ok) notice(ack.error.message);
            } }));
        }
        item.append(group);
      }
      if (isFacilitator && a.status === "open") {
        item.append(el("div", { class: "moderation", role: "group" },
          el("button", { type: "button", class: "small", text: T.accept,
            onclick: () => staff("amendment.accept", { amendment_id: a.id }) }),
          el("button", { type: "button", class: "small", text: T.reject, onclick: () => {
            const note = window.prompt(T.reject_note, "");
            if (note !== null) staff("amendment.reject", { amendment_id: a.id, note });
          } })));
      }
      return item;
    }));
  }

  const amendSource = $("#amend-source");
  if (amendSource) {
    const selected = () => amendSource.value.slice(amendSource.selectionStart, amendSource.selectionEnd);
    const show = () => {
      const text = selected();
      $("#amend-selected").textContent = text ? fmt(T.amend_selected, { text }) : "";
    };
    amendSource.addEventListener("select", show);
    amendSource.addEventListener("keyup", show);
    amendSource.addEventListener("mouseup", show);
    $("#amend-send").addEventListener("click", async () => {
      const error = $("#amend-error");
      if (!selected() || !state.document) { error.textContent = T.amend_select_first; return; }
      const ack = await command("amendment.propose", {
        version_number: Number(amendSource.dataset.version),
        start: amendSource.selectionStart,
        end: amendSource.selectionEnd,
        replacement: $("#amend-replacement").value,
        reason: $("#amend-reason").value,
      });
      if (ack.ok) {
        error.textContent = "";
        $("#amend-replacement").value = "";
        $("#amend-reason").value = "";
        announce(T.amend_sent);
      } else {
        error.textContent = ack.error.message;
      }
    });
  }

  function budgetBlock(budget) {
    if (!budget) return null;
    const total = budget.total.limit
      ? fmt(T.budget_limit, { words: budget.total.words, limit: budget.total.limit })
      : fmt(T.budget_total, { words: budget.total.words });
    const over = budget.clauses.filter((c) => c.over).map((c) => fmt(T.budget_clause,
      { n: c.index, start: c.start, words: c.words, limit: c.limit }));
    if (budget.total.over) over.unshift(total);
    return el("div", { class: "budget-line" + (over.length ? " over" : "") },
      el("p", { class: "meta", text: `${total} · ${fmt(T.sentence_length, { n: budget.average_sentence_words })}` }),
      over.length ? el("p", { class: "error", role: "status", text: fmt(T.budget_over, { what: over.join("; ") }) }) : null);
  }

  function renderCoverage() {
    const node = $("#coverage");
    if (!node) return;
    const wording = state.wording;
    if (state.document && wording) {
      fill(node, budgetBlock(wording.budget));
    }
    if (!state.document || !wording || (!wording.coverage.shared.length &&
        !wording.words.approved_used.length && !wording.words.approved_missing.length &&
        !wording.words.vetoed_used.length)) {
      if (!state.document || !wording) node.replaceChildren();
      return;
    }
    const list = (title, items, cls) => items.length
      ? el("div", { class: `coverage-list ${cls}` }, el("h4", { text: title }),
        el("ul", {}, ...items.map((text) => el("li", { text }))))
      : null;
    fill(node, budgetBlock(wording.budget), el("section", { class: "coverage" },
      el("h3", { text: T.coverage_title }),
      list(T.coverage_expressed, wording.coverage.expressed, "ok"),
      list(T.coverage_missing, wording.coverage.missing, "missing"),
      list(T.words_approved_used, wording.words.approved_used, "ok"),
      list(T.words_approved_missing, wording.words.approved_missing, "missing"),
      list(T.words_vetoed_used, wording.words.vetoed_used, "vetoed")));
  }

  /** Value tags on a proposal or an amendment (``target`` names which), and a way to add one. */
  function valueTags(proposal, target = "proposal_id", taggable = !proposal.status || proposal.status === "visible") {
    const tags = proposal.values || [];
    const shown = role === "projector" ? tags.filter((t) => t.confirmed) : tags;
    const box = el("div", { class: "value-tags" });
    for (const tag of shown) {
      const label = tag.confirmed ? tag.name : `${tag.name} (${fmt(T.tag_supporters, { n: tag.supporters })})`;
      const chip = el("span", { class: "chip" + (tag.confirmed ? " confirmed" : "") }, label);
      if (role === "participant" && !tag.confirmed) {
        chip.append(el("button", { type: "button", class: "small", text: "+1",
          "aria-label": fmt(T.tag_support, { name: tag.name }),
          onclick: () => command("value.tag", { [target]: proposal.id, value_key: tag.key }) }));
      }
      if (isFacilitator) {
        chip.append(el("button", { type: "button", class: "small", text: "×",
          "aria-label": fmt(T.untag, { name: tag.name }),
          onclick: () => staff("value.untag", { tag_id: tag.id }) }));
      }
      box.append(chip);
    }
    if ((role === "participant" || isFacilitator) && catalogue.length && taggable) {
      const id = `tag-${target}-${proposal.id}`;
      const select = el("select", { id, onchange: async (e) => {
        if (!e.target.value) return;
        const ack = await command("value.tag", { [target]: proposal.id, value_key: e.target.value });
        if (!ack.ok) notice(ack.error.message);
      } }, el("option", { value: "", text: T.tag_choose }),
      ...catalogue.map((g) => el("optgroup", { label: g.name },
        ...g.values.map((v) => el("option", { value: v.key, text: v.name })))));
      box.append(el("label", { for: id, class: "visually-hidden", text: T.tag_value }), select);
    }
    return box;
  }

  // ---- proposals -----------------------------------------------------------
  /** A stable shuffle for anonymous read-out: the same order on every screen. */
  const shuffleKey = (id) => Math.imul(id ^ 0x5bd1e995, 2654435761) >>> 0;

  function renderProposals() {
    const list = $("#proposals");
    if (!list) return;
    const phase = state.workshop.phase;
    let proposals = [...state.proposals];
    if (role === "projector") proposals = proposals.filter((p) => !p.status || p.status === "visible");
    const queue = $("#queue");
    if (queue) {
      const waiting = proposals.filter((p) => p.status === "pending");
      proposals = proposals.filter((p) => p.status !== "pending");
      $("#queue-count").textContent = `(${waiting.length})`;
      queue.replaceChildren(...(waiting.length ? waiting.map((p) => proposalCard(p, phase))
        : [el("li", { class: "empty", text: T.no_proposals_staff })]));
    }
    const results = state.vote && state.vote.results;
    const place = new Map(((results && results.ranking) || []).map((id, i) => [id, i]));
    if (state.workshop.readout_anonymous && publicView) {
      proposals.sort((a, b) => shuffleKey(a.id) - shuffleKey(b.id));
    } else if (place.size) {
      proposals.sort((a, b) => (place.get(a.id) ?? 1e9) - (place.get(b.id) ?? 1e9) || a.id - b.id);
    } else if (phase === "propose") {
      proposals.sort((a, b) => b.id - a.id);
    } else {
      proposals.sort((a, b) => a.id - b.id);
    }
    proposals.sort((a, b) => Number(b.pinned) - Number(a.pinned));
    const badge = $("#proposal-count-badge");
    if (badge) badge.textContent = "(" + proposals.filter((p) => !p.status || p.status === "visible").length + ")";
    list.replaceChildren();
    if (!proposals.length) {
      list.append(el("li", { class: "empty", text: isStaff ? T.no_proposals_staff : T.no_proposals }));
      return;
    }
    for (const proposal of proposals) list.append(proposalCard(proposal, phase));
  }

  function authorsOf(proposal) {
    let authors = proposal.authors || [];
    // The projector shows what participants would see.
    if (role === "projector" && (state.workshop.readout_anonymous || proposal.anonymity !== "named")) {
      authors = [];
    }
    return authors.map((a) => a.name + " · " + a.level + (a.department ? " · " + a.department : "")).join("; ");
  }

  function proposalCard(proposal, phase) {
    const status = proposal.status || "visible";
    const li = el("li", { class: `proposal status-${status}${proposal.pinned ? " pinned" : ""}`,
      "data-proposal-id": String(proposal.id) });
    const body = el("div", { class: "proposal-body" });
    body.innerHTML = proposal.body_html; // sanitised on the server
    const meta = el("p", { class: "meta" });
    if (isStaff && role !== "projector") meta.append(el("span", { class: "card-number", text: `#${proposal.id} ` }));
    const authors = authorsOf(proposal);
    if (authors) meta.append(el("span", { class: "author", text: authors }));
    if (proposal.pinned) meta.append(el("span", { class: "tag tag-neutral", text: T.pinned }));
    if (status === "pending") meta.append(el("span", { class: "tag", text: T.pending }));
    if (status === "hidden") {
      meta.append(el("span", { class: "tag", text: T.hidden_reason_label + (proposal.hidden_reason ? ": " + proposal.hidden_reason : "") }));
    }
    if (status === "merged") meta.append(el("span", { class: "tag", text: fmt(T.merged_into, { id: proposal.merged_into_id }) }));
    li.append(body, meta, valueTags(proposal));
    const round = voteRound();
    if (role === "participant" && phase === "vote" && round && !["values", "vocabulary"].includes(round.method) && inputOpen(currentRound()) &&
        currentRound() && currentRound().id === round.id) {
      li.append(ballotControls(proposal, round));
    }
    if (isFacilitator) li.append(moderationControls(proposal));
    if (role !== "projector") li.append(commentsBlock(proposal));
    return li;
  }

  function commentsBlock(proposal) {
    const comments = proposal.comments || [];
    const details = el("details", { class: "comments" },
      el("summary", { text: `${T.comments} (${comments.filter((c) => !c.status || c.status === "visible").length})` }));
    const list = el("ul");
    for (const comment of comments) {
      const item = el("li", { class: `comment status-${comment.status || "visible"}` });
      const text = el("div");
      text.innerHTML = comment.body_html; // sanitised on the server
      item.append(text);
      const who = comment.author ? comment.author.name : "";
      if (who) item.append(el("p", { class: "meta", text: who }));
      if (isFacilitator) {
        const visible = !comment.status || comment.status === "visible";
        if (comment.status === "pending") item.append(el("span", { class: "tag", text: T.pending }));
        item.append(el("button", { type: "button", class: "small",
          text: visible ? T.hide : (comment.status === "pending" ? T.approve_card : T.restore),
          onclick: () => staff("comment.moderate", { comment_id: comment.id, visible: !visible }) }));
      }
      list.append(item);
    }
    details.append(list);
    if (role === "participant") {
      const input = el("input", { type: "text", maxlength: "500", id: `comment-${proposal.id}`,
        "aria-label": T.add_comment, placeholder: T.add_comment });
      const form = el("form", { class: "comment-form" }, input,
        el("button", { type: "submit", class: "small", text: T.send }));
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        if (!input.value.trim()) return;
        const ack = await command("comment.add", { proposal_id: proposal.id, body: input.value, op_id: newOpId() });
        if (ack.ok) {
          input.value = "";
          if (ack.status === "pending") notice(T.comment_pending);
        } else {
          notice(ack.error.message);
        }
      });
      details.append(form);
    }
    return details;
  }

  function moderationControls(proposal) {
    const status = proposal.status || "visible";
    const tools = el("div", { class: "moderation", role: "group" });
    const button = (text, handler) => el("button", { type: "button", class: "small", text, onclick: handler });
    if (status === "pending") {
      tools.append(button(T.approve_card, () => staff("proposal.approve", { proposal_id: proposal.id })));
    }
    if (status === "hidden") {
      tools.append(button(T.restore, () => staff("proposal.restore", { proposal_id: proposal.id })));
    } else if (status !== "merged") {
      tools.append(button(T.hide, () => {
        const reason = window.prompt(T.hide_reason, "");
        if (reason !== null) staff("proposal.hide", { proposal_id: proposal.id, reason });
      }));
    }
    if (status === "visible") {
      tools.append(button(proposal.pinned ? T.unpin : T.pin,
        () => staff("proposal.pin", { proposal_id: proposal.id, pinned: !proposal.pinned })));
      tools.append(button(T.merge, () => {
        const target = Number(window.prompt(T.merge_prompt, ""));
        if (target) staff("proposal.merge", { keep_id: target, merge_id: proposal.id });
      }));
      tools.append(button(T.split, () => {
        const text = window.prompt(T.split_prompt, proposal.body_md || "");
        if (text) {
          const parts = text.split(/\n?---\n?/).map((p) => p.trim()).filter(Boolean);
          staff("proposal.split", { proposal_id: proposal.id, parts });
        }
      }));
    }
    return tools;
  }

  // ---- staff commands ------------------------------------------------------
  async function staff(name, payload) {
    const ack = await command(name, payload);
    const node = $("#console-error");
    if (node) node.textContent = ack.ok ? "" : ack.error.message;
    return ack;
  }

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
  const readoutToggle = $("#readout-toggle");
  if (readoutToggle) {
    readoutToggle.addEventListener("change", () =>
      staff("readout.set", { anonymous: readoutToggle.checked }));
  }
  root.querySelectorAll("[data-set-phase]").forEach((button) => {
    button.addEventListener("click", () => staff("phase.set", { phase: button.dataset.setPhase }));
  });

  // ---- proposal form ---------------------------------------------------------
  const form = $("#proposal-form");
  if (form) {
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
})();
