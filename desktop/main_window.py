"""The main window: welcome or the three views (library, duplicates, search), menus, docks.

It wires views to the session and owns no logic of its own: everything the app does with
photos is a session call, and everything it shows arrives as a session signal.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QGuiApplication,
    QIcon,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSlider,
    QStackedWidget,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from twinlens.engine import DEFAULT_ORDER, LibraryChange, PhotoEntry, SearchAnswer, sort_key

from . import settings as keys
from .drops import Dropped, read_mime
from .duplicates_view import DuplicatesView
from .grid_view import MAX_TILE, MIN_TILE, PhotoGrid
from .job_panel import JobPanel
from .jobs import Jobs
from .library_model import PhotoListModel
from .messages import name_html, name_text
from .photo_actions import PhotoActions
from .review_actions import ReviewActions
from .search_view import SearchView
from .session import Session
from .settings import UiSettings
from .side_panel import SidePanel
from .thumbnail_provider import ThumbnailProvider
from .welcome import WelcomePage

log = logging.getLogger(__name__)

LIBRARY_TAB, DUPLICATES_TAB, SEARCH_TAB = 0, 1, 2
PROVIDERS = {"CUDAExecutionProvider": "GPU (CUDA)", "CPUExecutionProvider": "CPU"}


class MainWindow(QMainWindow):
    def __init__(self, settings: UiSettings, jobs: Jobs, thumbnails: ThumbnailProvider) -> None:
        super().__init__()
        self.settings = settings
        self.jobs = jobs
        self.thumbnails = thumbnails
        self.session: Session | None = None
        self.samples_opener: Callable[[], object] | None = None  # set by the app: opens the samples
        self.setWindowTitle("Twinlens")
        self.setAcceptDrops(True)
        self.actions_ = PhotoActions(self)
        self.review = ReviewActions(self)
        self.keeper_choice: tuple[tuple[str, ...], bool] = (DEFAULT_ORDER, False)
        self._build_views()
        self._build_status_bar()
        self._build_menus()
        self._restore()

    # -- building --------------------------------------------------------

    def _build_views(self) -> None:
        self.welcome = WelcomePage()
        self.model = PhotoListModel(self.thumbnails, self)
        self.grid = PhotoGrid(self.actions_)
        self.grid.setModel(self.model)
        self.sort_box = QComboBox()
        self.sort_box.addItems(["Date", "Name", "Size"])
        self.zoom = QSlider(Qt.Orientation.Horizontal)
        self.zoom.setRange(MIN_TILE, MAX_TILE)
        self.zoom.setMaximumWidth(200)
        self.zoom.setToolTip("Thumbnail size")
        header = QHBoxLayout()
        header.addWidget(QLabel("Sort by"))
        header.addWidget(self.sort_box)
        header.addStretch(1)
        header.addWidget(QLabel("Zoom"))
        header.addWidget(self.zoom)
        library_page = QWidget()
        column = QVBoxLayout(library_page)
        column.addLayout(header)
        column.addWidget(self.grid, 1)
        self.duplicates = DuplicatesView(self.thumbnails, self.actions_)
        self.search = SearchView(self.thumbnails, self.actions_)
        self.tabs = QTabWidget()
        self.tabs.addTab(library_page, "Library")
        self.tabs.addTab(self.duplicates, "Duplicates")
        self.tabs.addTab(self.search, "Search")
        self.stack = QStackedWidget()
        self.stack.addWidget(self.welcome)
        self.stack.addWidget(self.tabs)
        self.setCentralWidget(self.stack)
        self.side = SidePanel()
        self.dock = QDockWidget("Folders", self)
        self.dock.setObjectName("folders-dock")
        self.dock.setWidget(self.side)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.dock)
        self._connect_views()

    def _connect_views(self) -> None:
        self.welcome.add_folder_requested.connect(self.choose_folder)
        self.welcome.samples_requested.connect(self.open_samples)
        self.side.add_requested.connect(self.choose_folder)
        self.side.rescan_requested.connect(lambda: self._with_session(lambda s: s.scan()))
        self.side.remove_requested.connect(
            lambda path: self._with_session(lambda s: s.remove_folder(path))
        )
        self.sort_box.currentTextChanged.connect(
            lambda text: self._with_session(lambda s: s.set_sort(text.lower()))
        )
        self.zoom.valueChanged.connect(self.grid.set_tile_size)
        self.actions_.find_similar.connect(self.find_similar)
        self.actions_.trash.connect(self.trash)
        self.grid.opened.connect(self.actions_.open)
        self.duplicates.trash_requested.connect(self.trash)
        self.duplicates.dismiss_requested.connect(
            lambda paths: self._with_session(lambda s: s.dismiss(paths))
        )
        self.duplicates.facts_requested.connect(self._request_facts)
        self.duplicates.bulk_requested.connect(self.review.remove_all_but_keepers)
        self.side.reference_toggled.connect(
            lambda folder, on: self._with_session(lambda s: s.set_reference(folder, on))
        )
        self.search.paste_requested.connect(self.paste)
        self.tabs.currentChanged.connect(self._on_tab)

    def _build_status_bar(self) -> None:
        self.counts_label = QLabel()
        self.provider_label = QLabel("Loading the photo model…")
        self.job_panel = JobPanel()
        bar = self.statusBar()
        bar.addPermanentWidget(self.job_panel)
        bar.addPermanentWidget(self.counts_label)
        bar.addPermanentWidget(self.provider_label)
        self.jobs.job_started.connect(self.job_panel.track)

    def _action(
        self,
        text: str,
        slot: Callable[..., object],
        shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
        tip: str = "",
        icon: str = "",
    ) -> QAction:
        action = QAction(text, self)
        if icon:  # the desktop theme's icon where it has one
            action.setIcon(QIcon.fromTheme(icon))
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        return action

    def _build_menus(self) -> None:
        std = QKeySequence.StandardKey
        self.add_action = self._action(
            "&Add Folder…", self.choose_folder, std.Open, icon="folder-new"
        )
        self.samples_action = self._action("Open &Sample Library", self.open_samples)
        self.rescan_action = self._action(
            "&Rescan",
            lambda: self._with_session(lambda s: s.scan()),
            std.Refresh,
            icon="view-refresh",
        )
        quit_action = self._action("&Quit", self.close, std.Quit)
        self.undo_action = self._action("&Undo Last Removal", self.undo, std.Undo, icon="edit-undo")
        self.undo_action.setEnabled(False)
        self.paste_action = self._action("&Paste Image to Search", self.paste, std.Paste)
        self.trash_action = self._action("Move to &Trash", self.trash_selection, std.Delete)
        self.export_action = self._action(
            "&Export Duplicate Groups…",
            lambda: self.review.export(self.duplicates.visible_groups()),
            tip="Write the groups shown to a CSV or JSON file, one row per photo",
        )
        file_menu = self.menuBar().addMenu("&File")
        for action in (self.add_action, self.samples_action, self.rescan_action):
            file_menu.addAction(action)
        file_menu.addAction(self.export_action)
        file_menu.addSeparator()
        file_menu.addAction(quit_action)
        edit = self.menuBar().addMenu("&Edit")
        for action in (self.undo_action, self.paste_action, self.trash_action):
            edit.addAction(action)
        self._build_view_menu()
        self._build_review_menu()
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(self._action("&About Twinlens", self._about))
        toolbar = QToolBar("Main")
        toolbar.setObjectName("main-toolbar")
        for action in (self.add_action, self.rescan_action, self.undo_action):
            toolbar.addAction(action)
        self.addToolBar(toolbar)

    def _build_view_menu(self) -> None:
        view = self.menuBar().addMenu("&View")
        for tab, text in enumerate(("&Library", "&Duplicates", "&Search")):
            view.addAction(
                self._action(text, lambda _=False, t=tab: self.show_tab(t), f"Ctrl+{tab + 1}")
            )
        view.addSeparator()
        view.addAction(
            self._action("Zoom &In", lambda: self._zoom(32), QKeySequence.StandardKey.ZoomIn)
        )
        view.addAction(
            self._action("Zoom &Out", lambda: self._zoom(-32), QKeySequence.StandardKey.ZoomOut)
        )
        sort_menu = view.addMenu("Sort &By")
        group = QActionGroup(self)
        for name in ("Date", "Name", "Size"):
            action = self._action(name, lambda _=False, n=name: self.sort_box.setCurrentText(n))
            action.setCheckable(True)
            action.setChecked(name == "Date")
            group.addAction(action)
            sort_menu.addAction(action)
        view.addSeparator()
        view.addAction(self.dock.toggleViewAction())

    def _build_review_menu(self) -> None:
        review = self.menuBar().addMenu("&Review")
        d = self.duplicates
        self.review_actions = [
            self._action("&Keep This One", d.keep_selected, "K"),
            self._action("&Next Group", d.next_group, "N"),
            self._action("Not a &Duplicate", d.dismiss_group, "X"),
            self._action("&Flip Between A and B", d.compare.toggle, "T"),
            self._action("&Side by Side", d.compare.side_by_side, "S"),
        ]
        for action in self.review_actions:
            review.addAction(action)
        review.insertAction(self.review_actions[1], self.trash_action)
        review.addSeparator()
        self.bulk_action = self._action(
            "Select &All but the Keeper…",
            lambda: self.duplicates.select_all_but_keeper(),
            "Ctrl+Shift+K",
            tip="Every copy but the keeper, in every group shown; you confirm first",
        )
        review.addAction(self.bulk_action)
        self.review_actions.append(self.bulk_action)
        review.addAction(
            self._action("Keeper &Rule…", lambda: self.review.edit_keeper_rule(*self.keeper_choice))
        )

    def _restore(self) -> None:
        geometry = self.settings.get(keys.GEOMETRY)
        if geometry:
            self.restoreGeometry(geometry)
        else:
            self.resize(1200, 800)
        state = self.settings.get(keys.WINDOW_STATE)
        if state:
            self.restoreState(state)
        self.zoom.setValue(self.settings.get(keys.THUMBNAIL_SIZE))
        self.grid.set_tile_size(self.zoom.value())
        self.sort_box.setCurrentText(self.settings.get(keys.SORT).capitalize())
        self._on_tab(LIBRARY_TAB)

    # -- session --------------------------------------------------------

    def set_session(self, session: Session) -> None:
        """Show a library: connect its signals, list it, load its model."""
        self.session = session
        session.sort = self.sort_box.currentText().lower()
        session.photos_loaded.connect(self._on_photos)
        session.folders_changed.connect(self._on_folders)
        session.failed_loaded.connect(self.side.set_failed)
        session.model_ready.connect(self._on_model)
        session.model_failed.connect(self._on_model_failed)
        session.groups_loaded.connect(self.duplicates.set_groups)
        session.search_done.connect(self._on_search)
        session.trashed.connect(self._on_trashed)
        session.restored.connect(self._on_restored)
        session.undo_changed.connect(self.undo_action.setEnabled)
        session.message.connect(self.show_message)
        session.library_changed.connect(self._on_library_change)
        session.rows_changed.connect(self._on_rows_changed)
        session.references_changed.connect(self.side.set_references)
        session.keeper_settings.connect(
            lambda order, raw: setattr(self, "keeper_choice", (order, raw))
        )
        self.review.attach(session)
        session.load_keeper_settings()
        session.scan_finished.connect(lambda _: self._reload_groups_if_shown())
        self.setWindowTitle(f"Twinlens — {session.path.stem}")
        session.refresh(first_page=True)
        session.load_model()

    def replace_session(self, session: Session) -> None:
        """Switch libraries: the old one's jobs end and it closes before the new one shows."""
        old = self.session
        if old is not None:
            self.jobs.wait()
            old.close()
            old.deleteLater()
        self.set_session(session)

    def _with_session(self, act: Callable[[Session], object]) -> None:
        if self.session is None:
            self.show_message("Open a library first.")
        else:
            act(self.session)

    def _on_photos(self, entries: list[PhotoEntry], complete: bool) -> None:
        scroll = self.grid.verticalScrollBar().value()
        self.model.set_entries(entries)
        self.grid.verticalScrollBar().setValue(scroll)
        if not complete:
            self.counts_label.setText("Listing photos…")
            return
        failed = sum(1 for e in entries if e.failed)
        self.counts_label.setText(
            f"{len(entries):,} photos" + (f" · {failed:,} could not be read" if failed else "")
        )

    def _on_rows_changed(self, entries: dict[str, PhotoEntry], removed: list[str]) -> None:
        """The watcher's changes, row by row: the grid is never listed again for them."""
        if self.session is None:
            return
        self.model.apply_changes(entries, removed, sort_key(self.session.sort))
        count = self.model.rowCount()
        self.counts_label.setText(f"{count:,} photos")

    def _on_folders(self, folders: list[Path]) -> None:
        self.side.set_folders(folders)
        self.stack.setCurrentIndex(1 if folders else 0)
        self.dock.setVisible(bool(folders))

    def _on_model(self, provider: str) -> None:
        self.provider_label.setText(f"Model runs on {PROVIDERS.get(provider, provider)}")
        if self.session is not None:
            self.duplicates.precision = dict(self.session.library.model.tier_precision)

    def _on_model_failed(self, text: str) -> None:
        self.provider_label.setText("Photo model unavailable")
        self.provider_label.setToolTip(text)
        self.show_message(text)

    def _on_library_change(self, change: LibraryChange) -> None:
        for path in [*change.indexed, *change.removed, *(p for p, _ in change.errors)]:
            self.thumbnails.forget(path)
        self._reload_groups_if_shown()

    def _on_tab(self, tab: int) -> None:
        for action in self.review_actions:
            action.setEnabled(tab == DUPLICATES_TAB)
        if tab == DUPLICATES_TAB and self.session is not None:
            self.session.load_groups()

    def show_tab(self, tab: int) -> None:
        if self.stack.currentIndex() == 1:
            self.tabs.setCurrentIndex(tab)

    def _reload_groups_if_shown(self) -> None:
        if self.tabs.currentIndex() == DUPLICATES_TAB and self.session is not None:
            self.session.load_groups()

    # -- actions --------------------------------------------------------

    def choose_folder(self) -> None:
        start = self.settings.get(keys.LAST_FOLDER) or str(Path.home())
        folder = QFileDialog.getExistingDirectory(self, "Add a photo folder", start)
        if folder:
            self.settings.set(keys.LAST_FOLDER, folder)
            self.add_folders([Path(folder)])

    def add_folders(self, folders: list[Path]) -> None:
        self._with_session(lambda s: s.add_folders(folders))

    def open_samples(self) -> None:
        if self.samples_opener is not None:
            self.samples_opener()

    def find_similar(self, path: str) -> None:
        self.show_tab(SEARCH_TAB)
        self.search.searching(name_html(path))
        self._with_session(lambda s: s.search_file(path))

    def search_dropped(self, dropped: Dropped) -> None:
        if dropped.image_file is not None:
            self.find_similar(str(dropped.image_file))
        elif dropped.image_data is not None:
            self.show_tab(SEARCH_TAB)
            self.search.searching("the dropped image")
            data = dropped.image_data
            self._with_session(lambda s: s.search_data(data))

    def paste(self) -> None:
        dropped = read_mime(QGuiApplication.clipboard().mimeData())
        if dropped.empty or dropped.folders:
            self.show_message("The clipboard holds no picture to search with.")
        else:
            self.search_dropped(dropped)

    def trash(self, paths: list[str]) -> None:
        if paths:
            self._with_session(lambda s: s.trash(paths))

    def trash_selection(self) -> None:
        tab = self.tabs.currentIndex()
        if tab == DUPLICATES_TAB:
            self.duplicates.trash_selected()
        else:
            grid = self.grid if tab == LIBRARY_TAB else self.search.grid
            self.trash(grid.selected_paths())

    def undo(self) -> None:
        self._with_session(lambda s: s.undo())

    def _on_trashed(self, moved: list[str]) -> None:
        names = ", ".join(name_text(p) for p in moved[:3]) + ("…" if len(moved) > 3 else "")
        self.show_message(f"Moved to the trash: {names}. Undo with Ctrl+Z.")
        self._reload_groups_if_shown()

    def _on_restored(self, restored: list[str]) -> None:
        self.show_message(f"Restored {len(restored)} photo(s) from the trash.")
        self._reload_groups_if_shown()

    def _on_search(self, answer: SearchAnswer) -> None:
        self.show_tab(SEARCH_TAB)
        self.search.show_answer(answer)

    def _request_facts(self, path: str, column: int) -> None:
        self._with_session(
            lambda s: s.facts(path, lambda facts: self.duplicates.show_facts(column, facts))
        )

    def _zoom(self, step: int) -> None:
        self.zoom.setValue(self.zoom.value() + step)

    def show_message(self, text: str) -> None:
        """Errors and notices, in words, in the status bar (the app keeps working)."""
        log.info("message: %s", text)
        self.statusBar().showMessage(text, 10_000)

    def _about(self) -> None:
        QMessageBox.about(
            self,
            "About Twinlens",
            "Twinlens finds duplicate, near-duplicate and similar photos, and searches your"
            " library by example. It never deletes a photo: removed copies go to the trash.",
        )

    # -- drops --------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if not read_mime(event.mimeData()).empty:
            event.acceptProposedAction()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        dropped = read_mime(event.mimeData())
        if dropped.empty:
            return
        event.acceptProposedAction()
        if dropped.folders:
            self.add_folders(dropped.folders)
        else:
            self.search_dropped(dropped)

    # -- closing --------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        self.settings.set(keys.GEOMETRY, self.saveGeometry())
        self.settings.set(keys.WINDOW_STATE, self.saveState())
        self.settings.set(keys.THUMBNAIL_SIZE, self.zoom.value())
        self.settings.set(keys.SORT, self.sort_box.currentText().lower())
        if self.session is not None:
            self.settings.set(keys.LAST_LIBRARY, str(self.session.path))
        self.settings.sync()
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Cancel and wait for every worker, stop watching, close the library."""
        self.jobs.shutdown()
        self.thumbnails.shutdown()
        if self.session is not None:
            self.session.close()
            self.session = None
