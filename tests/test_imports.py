"""The package's modules import each other without a cycle, counting the imports made inside
functions too: an import moved into a function hides a cycle, it does not remove it. So each
module can be read, tested and changed knowing only what it imports (issue 9)."""

from __future__ import annotations

import graphlib

import grimp
import pytest


def test_no_module_of_the_package_comes_back_to_itself_through_its_imports():
    graph = grimp.build_graph("workshop", exclude_type_checking_imports=True, cache_dir=None)
    imports = {module: graph.find_modules_directly_imported_by(module) for module in graph.modules}
    assert len(imports) > 80 and sum(map(len, imports.values())) > 300  # it read the package
    try:
        graphlib.TopologicalSorter(imports).prepare()
    except graphlib.CycleError as error:
        cycle = error.args[1]
        lines = [
            f"{detail['importer']}:{detail['line_number']}  {detail['line_contents']}"
            for imported, importer in zip(cycle, cycle[1:], strict=False)
            for detail in graph.get_import_details(importer=importer, imported=imported)
        ]
        pytest.fail("An import cycle:\n" + "\n".join(lines))
