"""The `langnghe` command as a user meets it: paths, language, a quiet console."""

import logging
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from field_app import cli_text
from field_app.cli import main, quiet_logs


def langnghe(*args: str, cwd=None, **env: str) -> subprocess.CompletedProcess:
    environ = {**os.environ, **env}
    return subprocess.run([sys.executable, "-m", "field_app.cli", *args], cwd=cwd, env=environ,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("command", [["upgrade-db"], ["central", "create-admin", "chu-tich",
                                                       "--password", "mat-khau-du-dai-12"]])
def test_a_relative_data_folder_is_the_current_folder(tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    if command[0] == "central":
        done = CliRunner().invoke(main, ["central", "--data", "relcheck", *command[1:]])
    else:
        done = CliRunner().invoke(main, [*command, "--data", "relcheck"])
    assert done.exit_code == 0, done.output
    assert (tmp_path / "relcheck" / "langnghe.sqlite3").is_file()
    assert "Traceback" not in done.output


def test_commands_print_no_migration_lines_unless_verbose(tmp_path):
    quiet = langnghe("upgrade-db", "--data", str(tmp_path / "data"))
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == ""
    assert quiet.stdout.strip() == "Cơ sở dữ liệu đã là bản mới nhất."
    verbose = langnghe("--verbose", "upgrade-db", "--data", str(tmp_path / "more"))
    assert "Running upgrade" in verbose.stderr


@pytest.mark.parametrize("env, expected", [
    ({"LANGNGHE_LANG": "en"}, "Database is up to date."),
    ({"LANGNGHE_LANG": "vi", "LANG": "en_US.UTF-8"}, "Cơ sở dữ liệu đã là bản mới nhất."),
    ({"LANGNGHE_LANG": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": "en_US.UTF-8"},
     "Database is up to date."),
    ({"LANGNGHE_LANG": "", "LC_ALL": "", "LC_MESSAGES": "", "LANG": "C.UTF-8"},
     "Cơ sở dữ liệu đã là bản mới nhất."),
])
def test_messages_follow_langnghe_lang_else_the_locale_vietnamese_by_default(
        tmp_path, env, expected):
    done = langnghe("upgrade-db", "--data", str(tmp_path / "data"), **env)
    assert done.stdout.strip() == expected


def test_no_language_setting_means_vietnamese():
    assert cli_text.cli_language({}) == "vi"
    assert cli_text.cli_language({"LANG": "vi_VN.UTF-8"}) == "vi"
    assert cli_text.cli_language({"LC_ALL": "en_GB.UTF-8", "LANG": "vi_VN"}) == "en"


def test_a_cut_header_warning_is_one_line_without_traceback(capsys):
    from urllib3.exceptions import HeaderParsingError

    pool = logging.getLogger("urllib3.connectionpool")
    saved = pool.handlers[:], pool.propagate
    try:
        quiet_logs(verbose=False)
        try:
            raise HeaderParsingError(defects=["MissingHeaderBodySeparatorDefect()"],
                                     unparsed_data=b"garbage")
        except HeaderParsingError:
            # What urllib3 does when a response is cut mid-headers.
            pool.warning("Failed to parse headers (url=%s): %s", "http://x/sync/v1/push",
                         "defects", exc_info=True)
        err = capsys.readouterr().err
    finally:
        pool.handlers[:], pool.propagate = saved
    assert "Traceback" not in err
    assert err.count("\n") == 1 and "header" in err


@pytest.mark.parametrize(("verbose", "shown"), [((), False), (("-v",), True)])
def test_the_field_app_keeps_waitress_queue_warnings_off_the_window(
        tmp_path, monkeypatch, verbose, shown):
    from field_app import cli
    from field_app.outbox import auto

    queue = logging.getLogger("waitress.queue")  # "Task queue depth is 1" comes from here
    saved = queue.level
    served = []
    monkeypatch.setattr(cli, "_serve", lambda *args, **kwargs: served.append(
        queue.isEnabledFor(logging.WARNING)))
    monkeypatch.setattr(auto, "start_auto_sync", lambda app: None)
    try:
        queue.setLevel(logging.NOTSET)
        done = CliRunner().invoke(main, [*verbose, "field", "--data", str(tmp_path)])
    finally:
        queue.setLevel(saved)
    assert done.exit_code == 0, done.output
    assert served == [shown]


def test_an_unexpected_sync_error_is_one_line(tmp_path, monkeypatch):
    from field_app.outbox import logic

    def broken(progress=None):
        raise RuntimeError("boom")

    monkeypatch.setattr(logic, "run_sync", broken)
    done = CliRunner().invoke(main, ["sync", "--data", str(tmp_path / "data")])
    assert done.exit_code == 1
    assert "Traceback" not in done.output and "RuntimeError" in done.output
    assert "--verbose" in done.output
    loud = CliRunner().invoke(main, ["--verbose", "sync", "--data", str(tmp_path / "data")])
    assert isinstance(loud.exception, RuntimeError)


@pytest.mark.parametrize("lang, expected", [("vi", "Lỗi: "), ("en", "Error: ")])
def test_a_refusal_is_one_line_in_the_users_language(tmp_path, monkeypatch, lang, expected):
    monkeypatch.setenv("LANGNGHE_LANG", lang)
    existing = tmp_path / "keep.sqlite3"
    existing.write_bytes(b"precious")
    done = CliRunner().invoke(main, ["backup", str(existing), "--data", str(tmp_path / "d")])
    assert done.exit_code == 1
    assert done.output.startswith(expected) and done.output.count("\n") == 1
