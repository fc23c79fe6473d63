"""Result checks on the finished certification episode: the game exits 0, and its results are valid."""

from __future__ import annotations

from pytest_coworld.certification import MainEpisode
from pytest_coworld.checks.catalog import check_mark
from pytest_coworld.failures import CoworldCheckFailure


@check_mark("game.exit")
def test_game_exits(coworld_episode: MainEpisode) -> None:
    """Testname: Game exit.
    Description: The game MUST end the episode within its timeout and MUST NOT crash: it exits with status 0,
    or keeps serving its viewers after writing results until the runner stops it.
    """
    game = coworld_episode.game_report()
    if game.problem:
        raise CoworldCheckFailure(
            "game.exit",
            "RUNTIME.md: episode lifecycle 8 (the game writes results and replay, then exits 0)",
            "the game exits 0 after writing results",
            game.problem,
            hint=game.hint,
            log_tail=game.log_tail,
        )


@check_mark("game.linger")
def test_game_does_not_linger(coworld_episode: MainEpisode) -> None:
    """Testname: Game exits by itself.
    Description: Once results and replay are written the game SHOULD exit with status 0 by itself, within the
    generation's usual time (10 s classic, 30 s current), so that runners need not stop it.
    """
    game = coworld_episode.game_report()
    if game.lingered:
        raise CoworldCheckFailure(
            "game.linger",
            "RUNTIME.md: episode lifecycle 8 (the game writes results and replay, then exits 0)",
            "the game exits 0 by itself soon after writing its results",
            game.lingered,
            hint="exit (status 0) once results and replay are written, or after a bounded time for viewers",
            log_tail=game.log_tail,
        )


@check_mark("results.present")
def test_results_present(coworld_episode: MainEpisode) -> None:
    """Testname: Results written.
    Description: At the end of the episode the game MUST write a results JSON object to COGAME_RESULTS_URI.
    """
    results = coworld_episode.results_report()
    if results.problem_present:
        raise CoworldCheckFailure(
            "results.present",
            "RUNTIME.md: episode lifecycle 8 (the game writes results)",
            "a JSON object at COGAME_RESULTS_URI",
            results.problem_present,
            hint="write the results file before exiting, to the path of COGAME_RESULTS_URI",
            log_tail=results.log_tail,
        )


@check_mark("results.schema")
def test_results_schema(coworld_episode: MainEpisode) -> None:
    """Testname: Results schema.
    Description: The results MUST validate against the manifest's `game.results_schema`.
    """
    results = coworld_episode.results_report(require_present=True)
    if results.schema_errors:
        raise CoworldCheckFailure(
            "results.schema",
            "RUNTIME.md: results validate against game.results_schema",
            "results valid against game.results_schema",
            f"{len(results.schema_errors)} schema error(s)",
            details=results.schema_errors,
            hint="make the results match the schema, or fix the schema",
        )


@check_mark("results.score_count")
def test_results_score_count(coworld_episode: MainEpisode) -> None:
    """Testname: One score per slot.
    Description: The results MUST have `scores`: one number per player slot.
    """
    results = coworld_episode.results_report(require_present=True)
    if results.score_problem:
        raise CoworldCheckFailure(
            "results.score_count",
            "RUNTIME.md: results have scores, one number per player slot",
            f"scores: a list of {coworld_episode.slot_count} numbers",
            results.score_problem,
            hint="emit one score per slot, in slot order",
        )
