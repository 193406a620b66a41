/**
 * Value tags on a proposal or an amendment (docs/protocol.md §13): the chips (confirmed or
 * with their number of supporters), "+1" for participants, "×" for facilitators, and the
 * select to add one. Proposals and amendments both carry tags, so the widget is one keyed
 * component: chips are patched by tag id and the select is kept, with its focus. The select
 * and "+1" show only where tagging is the task (`taggable`: a participant proposing, an open
 * amendment). A facilitator's tag confirms at once (§13), so on a facilitator's screen a
 * suggested tag carries "✓" (confirm it) besides "×" (remove it): moderation on the chip it
 * acts on, without a list of every value on every card.
 */
import { T, catalogue, isFacilitator, isParticipant, isProjector, notice, valueName } from "./page.js";
import { el, fmt, keyed, setAttr, syncChildren } from "./dom.js";

/**
 * Tags on one thing. ``target`` names it in commands (`proposal_id` or `amendment_id`);
 * ``command`` sends commands, ``staff`` facilitator commands.
 */
export function createValueTags({ target, command, staff }) {
  const view = { node: el("div", { class: "value-tags" }) };
  let thing = null; // the proposal or amendment shown
  let taggable = false; // a tag may be added or supported now
  let confirmable = false; // a facilitator may confirm a suggested tag now
  if ((isParticipant || isFacilitator) && catalogue.length) {
    view.select = el("select", { onchange: async (event) => {
      const select = event.target;
      if (!select.value) return;
      const ack = await command("value.tag", { [target]: thing.id, value_key: select.value });
      select.value = ""; // ready for the next one (a new tag shows as a chip)
      if (!ack.ok) notice(ack.error.message);
    } }, el("option", { value: "", text: T.tag_choose }),
    ...catalogue.map((g) => el("optgroup", { label: g.name },
      ...g.values.map((v) => el("option", { value: v.key, text: v.name })))));
    view.label = el("label", { class: "visually-hidden", text: T.tag_value });
  }

  function createChip(tag) {
    const chip = { tag, text: document.createTextNode("") };
    chip.node = el("span", { class: "chip" }, chip.text);
    if (isParticipant) {
      chip.support = el("button", { type: "button", class: "small", text: "+1",
        onclick: () => command("value.tag", { [target]: thing.id, value_key: chip.tag.key }) });
    }
    if (isFacilitator) {
      chip.confirm = el("button", { type: "button", class: "small", text: "✓",
        onclick: () => staff("value.tag", { [target]: thing.id, value_key: chip.tag.key }) });
      chip.untag = el("button", { type: "button", class: "small", text: "×",
        onclick: () => staff("value.untag", { tag_id: chip.tag.id }) });
    }
    return chip;
  }

  function updateChip(chip, tag) {
    chip.tag = tag;
    chip.node.className = "chip" + (tag.confirmed ? " confirmed" : "");
    const name = valueName(tag.key, tag.name);
    const text = tag.confirmed ? name : `${name} (${fmt(T.tag_supporters, { n: tag.supporters })})`;
    if (chip.text.data !== text) chip.text.data = text;
    if (chip.support) setAttr(chip.support, "aria-label", fmt(T.tag_support, { name }));
    if (chip.confirm) setAttr(chip.confirm, "aria-label", fmt(T.tag_confirm, { name }));
    if (chip.untag) setAttr(chip.untag, "aria-label", fmt(T.untag, { name }));
    syncChildren(chip.node, [tag.confirmed || !taggable ? null : chip.support,
      tag.confirmed || !confirmable ? null : chip.confirm, chip.untag].filter(Boolean));
  }

  /** Show the tags of ``item``; ``canTag``: a new tag may be added to it now; ``canConfirm``
   * (facilitators): a suggested tag may be confirmed now. */
  view.update = (item, canTag, canConfirm = canTag) => {
    thing = item;
    taggable = !!canTag;
    confirmable = !!canConfirm;
    const tags = item.values || [];
    const shown = isProjector ? tags.filter((t) => t.confirmed) : tags;
    const tail = [];
    if (view.select && taggable) {
      const id = `tag-${target}-${item.id}`;
      setAttr(view.select, "id", id);
      setAttr(view.label, "for", id);
      tail.push(view.label, view.select);
    }
    keyed(view.node, shown, { key: (t) => t.id, create: createChip, update: updateChip, tail });
  };
  return view;
}
