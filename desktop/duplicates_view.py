"""Duplicate review: groups by tier, the keeper marked with its reason, compare, keyboard.

Keys: K keeps the selected copy and moves the group's other copies to the trash; Delete moves
the selected copy to the trash; N goes to the next group; X marks the group "not a duplicate"
(remembered in the library). Similar shots have their own section and are never offered for
removal: they are different photos. "Select all but the keeper" hands every shown group (or
one tier's) to the review controller (review_actions.py), which confirms and removes them as
one undoable step.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from twinlens.engine import TIERS, DuplicateGroup, Member, PhotoEntry, PhotoFacts, is_duplicate

from .compare_view import CompareView
from .details_table import DetailsTable
from .grid_view import PhotoGrid
from .library_model import PhotoListModel
from .messages import name_html, name_text, similarity_text, tier_meaning, tier_name
from .photo_actions import PhotoActions
from .thumbnail_provider import ThumbnailProvider

SECTIONS = tuple(tier.name for tier in TIERS)
# Strictness is chosen by named tier, never by a number: each choice shows its tiers and the
# stricter ones.
STRICTNESS = (
    ("Exact copies only", SECTIONS[:1]),
    ("Same photo (resized, recompressed)", SECTIONS[:2]),
    ("All duplicates, edited copies too", SECTIONS[:3]),
    ("Duplicates and similar shots", SECTIONS),
)
GROUP_ROLE = Qt.ItemDataRole.UserRole + 1


class DuplicatesView(QWidget):
    trash_requested = Signal(object)  # list of paths (objects: Qt strings lose bytes)
    dismiss_requested = Signal(object)  # list of paths
    facts_requested = Signal(object, int)  # path, column of the details table
    bulk_requested = Signal(object)  # list[DuplicateGroup]: all but the keeper of each

    def __init__(
        self,
        thumbnails: ThumbnailProvider,
        actions: PhotoActions,
        precision: dict[str, float] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.precision = precision or {}
        self.strictness = QComboBox()
        for text, tiers in STRICTNESS:
            self.strictness.addItem(text, tiers)
        self.strictness.setCurrentIndex(len(STRICTNESS) - 1)
        self.strictness.setToolTip("Which kinds of matches to review")
        self.strictness.currentIndexChanged.connect(lambda _: self.set_groups(self.groups))
        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.currentItemChanged.connect(lambda *_: self._show_current())
        self.tier_label = QLabel()
        self.tier_label.setWordWrap(True)
        self.keeper_label = QLabel()
        self.keeper_label.setWordWrap(True)
        self.members_model = PhotoListModel(thumbnails, self)
        self.members = PhotoGrid(actions)
        self.members.setModel(self.members_model)
        self.members.setFlow(PhotoGrid.Flow.LeftToRight)
        self.members.setWrapping(False)
        self.members.set_tile_size(100)
        self.members.setFixedHeight(100 + 3 * self.fontMetrics().height() + 8)
        self.members.selectionModel().currentChanged.connect(lambda *_: self._compare())
        self.compare = CompareView(thumbnails)
        self.details = DetailsTable()
        self._build(thumbnails)
        self.groups: list[DuplicateGroup] = []
        self._comparing: tuple[str, str] = ("", "")

    def _build(self, thumbnails: ThumbnailProvider) -> None:
        buttons = QHBoxLayout()
        self.keep_button = QPushButton("Keep this one (K)")
        self.trash_button = QPushButton("Move to trash (Del)")
        self.next_button = QPushButton("Next group (N)")
        self.dismiss_button = QPushButton("Not a duplicate (X)")
        self.toggle_button = QPushButton("Flip A/B (T)")
        for button, slot in (
            (self.keep_button, self.keep_selected),
            (self.trash_button, self.trash_selected),
            (self.next_button, self.next_group),
            (self.dismiss_button, self.dismiss_group),
            (self.toggle_button, self.compare.toggle),
        ):
            button.clicked.connect(slot)
            buttons.addWidget(button)
        right = QWidget()
        column = QVBoxLayout(right)
        column.addWidget(self.tier_label)
        column.addWidget(self.keeper_label)
        column.addWidget(self.members)
        column.addLayout(buttons)
        column.addWidget(self.compare, 1)
        column.addWidget(self.details)
        left = QWidget()
        left_column = QVBoxLayout(left)
        left_column.setContentsMargins(0, 0, 0, 0)
        left_column.addWidget(QLabel("Show"))
        left_column.addWidget(self.strictness)
        left_column.addWidget(self.tree, 1)
        self.bulk_button = QPushButton("Select All but the Keeper…")
        self.bulk_button.setToolTip(
            "Every copy but the suggested keeper, in every group shown or one kind of match;"
            " you confirm before anything moves, and one undo brings all back"
        )
        self.bulk_menu = QMenu(self.bulk_button)
        self.bulk_button.setMenu(self.bulk_menu)
        self.bulk_menu.aboutToShow.connect(self._fill_bulk_menu)
        left_column.addWidget(self.bulk_button)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([260, 900])
        QVBoxLayout(self).addWidget(splitter)

    # -- content --------------------------------------------------------

    def set_groups(self, groups: list[DuplicateGroup]) -> None:
        """Show groups by section, staying near the group that was being reviewed."""
        previous = self._position()
        self.groups = groups
        self.tree.clear()
        shown = self.strictness.currentData() or SECTIONS
        for tier in (t for t in SECTIONS if t in shown):
            members = [g for g in groups if g.tier == tier]
            if not members:
                continue
            section = QTreeWidgetItem([f"{tier_name(tier)} ({len(members)})"])
            section.setToolTip(0, tier_meaning(tier, self.precision.get(tier)))
            section.setFlags(section.flags() & ~Qt.ItemFlag.ItemIsSelectable)
            self.tree.addTopLevelItem(section)
            for group in members:
                item = QTreeWidgetItem([_group_title(group)])
                item.setData(0, GROUP_ROLE, group)
                section.addChild(item)
            section.setExpanded(True)
        self._select(previous)
        if not groups:
            self.tier_label.setText("<h2>No duplicates found</h2>")
            self.keeper_label.setText("Add folders or rescan to look again.")
            self.members_model.set_entries([])

    def visible_groups(self, tier: str | None = None) -> list[DuplicateGroup]:
        """The groups shown by the strictness choice (of one tier, if given)."""
        shown = self.strictness.currentData() or SECTIONS
        return [g for g in self.groups if g.tier in shown and tier in (None, g.tier)]

    def select_all_but_keeper(self, tier: str | None = None) -> None:
        """Ask to remove every removable copy of the shown groups (or of one tier)."""
        groups = [g for g in self.visible_groups(tier) if g.proposed_for_removal()]
        if groups:
            self.bulk_requested.emit(groups)

    def _fill_bulk_menu(self) -> None:
        self.bulk_menu.clear()
        every = [g for g in self.visible_groups() if g.proposed_for_removal()]
        action = self.bulk_menu.addAction(f"In Every Group Shown ({len(every)})")
        action.setEnabled(bool(every))
        action.triggered.connect(lambda: self.select_all_but_keeper())
        for tier in SECTIONS:
            some = [g for g in self.visible_groups(tier) if g.proposed_for_removal()]
            if some:
                act = self.bulk_menu.addAction(f"Only {tier_name(tier)} ({len(some)})")
                act.triggered.connect(lambda _=False, t=tier: self.select_all_but_keeper(t))

    def current_group(self) -> DuplicateGroup | None:
        item = self.tree.currentItem()
        return item.data(0, GROUP_ROLE) if item is not None else None

    def section_tooltips(self) -> str:
        """The sections' explanations (what each tier means), joined: for tests and a11y."""
        items = (self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount()))
        return "\n".join(item.toolTip(0) for item in items if item is not None)

    def selected_member(self) -> str | None:
        index = self.members.currentIndex()
        return self.members_model.entry(index.row()).path if index.isValid() else None

    # -- review actions --------------------------------------------------------

    def keep_selected(self) -> None:
        """Keep the selected copy; the group's other copies go to the trash."""
        group, chosen = self.current_group(), self.selected_member()
        if group is None or chosen is None or not _removable(group):
            return
        others = [m.path for m in group.members if m.path != chosen and not m.kept]
        if others:
            self.trash_requested.emit(others)

    def trash_selected(self) -> None:
        group, chosen = self.current_group(), self.selected_member()
        if group is not None and chosen is not None and _removable(group):
            self.trash_requested.emit([chosen])

    def dismiss_group(self) -> None:
        group = self.current_group()
        if group is not None:
            self.dismiss_requested.emit(group.paths)

    def next_group(self) -> None:
        items = self._group_items()
        current = self.tree.currentItem()
        at = items.index(current) if current in items else -1
        if items:
            self.tree.setCurrentItem(items[min(at + 1, len(items) - 1)])

    # -- showing one group --------------------------------------------------------

    def _show_current(self) -> None:
        group = self.current_group()
        if group is None:
            return
        precision = self.precision.get(group.tier)
        self.tier_label.setText(
            f"<h3>{tier_name(group.tier)}</h3>{tier_meaning(group.tier, precision)}"
        )
        removable = _removable(group)
        keeper = name_html(group.keeper)
        if group.raw_jpeg_pair:
            title = "A RAW + JPEG pair: one shot in two formats. "
            self.tier_label.setText(f"<h3>RAW + JPEG pair</h3>{title}Both are kept.")
        self.keeper_label.setText(
            f"★ Suggested keeper: <b>{keeper}</b> — {group.keeper_reason}"
            if removable
            else "Similar shots are different photos: nothing here is offered for removal."
        )
        for button in (self.keep_button, self.trash_button):
            button.setEnabled(removable)
        captions = {m.path: _member_caption(group, m) for m in group.members}
        self.members_model.set_entries([_entry(p) for p in group.paths], captions)
        self.members.setCurrentIndex(self.members_model.index(min(1, len(group.paths) - 1)))

    def _compare(self) -> None:
        group, chosen = self.current_group(), self.selected_member()
        if group is None or chosen is None:
            return
        other = group.keeper if chosen != group.keeper else group.paths[1]
        a, b = (group.keeper, chosen) if chosen != group.keeper else (chosen, other)
        self.compare.set_photos(a, b, (f"A: {name_text(a)}", f"B: {name_text(b)}"))
        self._comparing = (a, b)
        self.facts_requested.emit(a, 0)
        self.facts_requested.emit(b, 1)

    def show_facts(self, column: int, facts: PhotoFacts | None) -> None:
        if facts is not None and facts.path != self._comparing[column]:
            return  # the answer for a pair no longer shown (the person moved on)
        title = ("A: " if column == 0 else "B: ") + (name_text(facts.path) if facts else "")
        self.details.set_facts(column, facts, title)

    # -- position --------------------------------------------------------

    def _group_items(self) -> list[QTreeWidgetItem]:
        items: list[QTreeWidgetItem] = []
        for i in range(self.tree.topLevelItemCount()):
            section = self.tree.topLevelItem(i)
            if section is None:
                continue
            children = (section.child(j) for j in range(section.childCount()))
            items += [child for child in children if child is not None]
        return items

    def _position(self) -> int:
        current = self.tree.currentItem()
        items = self._group_items()
        return items.index(current) if current in items else 0

    def _select(self, position: int) -> None:
        items = self._group_items()
        if items:
            self.tree.setCurrentItem(items[min(position, len(items) - 1)])


def _removable(group: DuplicateGroup) -> bool:
    return is_duplicate(group.tier)


def _group_title(group: DuplicateGroup) -> str:
    pair = " (RAW + JPEG pair)" if group.raw_jpeg_pair else ""
    return f"{name_text(group.keeper)} + {len(group.members) - 1} more{pair}"


def _member_caption(group: DuplicateGroup, member: Member) -> str:
    """The keeper's star, else what this copy is: the edit where it is known; files that are
    always kept say so."""
    if member.path == group.keeper and _removable(group):
        return "★ Keeper"
    if member.reference:
        return "Reference: always kept"
    if member.pair and member.kept:
        return f"{member.pair.upper()} of a RAW + JPEG pair"
    return member.edit.capitalize() if member.edit else similarity_text(group.tier)


def _entry(path: str) -> PhotoEntry:
    return PhotoEntry(0, path, 0, 0, None, "indexed", None, None, "", 0, 0)
