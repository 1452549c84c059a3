"""Where a model's prompt form is decided (models/prompt_form.py): an instruct model's chat
template by default, reasonlab's tiny models bare, one flag to override, the form recorded in
config.yaml and printed — for eval, train and model generate alike."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml

from reasonlab.cli import main as cli_main
from reasonlab.core.errors import ConfigError
from reasonlab.models.prompt_form import decide, decide_for, template_adds_markup

CHATML = ("{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + "
          "message['content'] + '<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}"
          "{{ '<|im_start|>assistant\\n' }}{% endif %}")


@pytest.fixture(scope="module")
def chat_model_dir(tiny_model_dir, tmp_path_factory):
    """The tiny model with an instruct-style (ChatML) chat template."""
    folder = tmp_path_factory.mktemp("models") / "chat"
    shutil.copytree(tiny_model_dir, folder)
    config = json.loads((folder / "tokenizer_config.json").read_text())
    config["chat_template"] = CHATML
    (folder / "tokenizer_config.json").write_text(json.dumps(config))
    for stale in folder.glob("chat_template.*"):
        stale.write_text(CHATML)
    return folder


def test_the_rule(tiny_model_dir, chat_model_dir):
    from transformers import AutoTokenizer

    tiny = AutoTokenizer.from_pretrained(tiny_model_dir)
    chat = AutoTokenizer.from_pretrained(chat_model_dir)
    assert not template_adds_markup(tiny) and template_adds_markup(chat)
    assert decide("auto", tiny).chat is False and decide("auto", chat).chat is True
    assert decide("off", chat).chat is False and decide("on", tiny).chat is True
    assert decide_for("init:tiny", "auto").chat is False
    assert decide_for("openai:http://127.0.0.1:1/v1#m", "auto").chat is True
    assert decide_for("openai:http://127.0.0.1:1/v1#m", "off").chat is False
    tiny.chat_template = None
    with pytest.raises(ConfigError, match="no chat template"):
        decide("on", tiny)
    with pytest.raises(ConfigError, match="auto, on, off"):
        decide("yes", chat)


def suite(path, **extra):
    data = {"name": "t", "seed": 0, "items": 2, "max_tokens": 6,
            "tasks": [{"task": "addition", "difficulties": [1]}], **extra}
    path.write_text(yaml.safe_dump(data))
    return str(path)


def test_eval_records_and_prints_the_form_and_the_flag_overrides_it(tiny_model_dir,
                                                                    chat_model_dir, tmp_path,
                                                                    capsys):
    file = suite(tmp_path / "s.yaml")
    for model, flag, form in ((chat_model_dir, [], "chat"), (tiny_model_dir, [], "bare"),
                              (chat_model_dir, ["--chat-template", "off"], "bare")):
        out = tmp_path / f"run-{model.name}-{form}"
        assert cli_main(["eval", "--model", str(model), "--suite", file, "--out", str(out),
                         *flag]) == 0
        assert yaml.safe_load((out / "config.yaml").read_text())["prompt_form"] == form
        assert json.loads((out / "summary.json").read_text())["model"]["prompt_form"] == form
        assert f"prompt form: {form}" in capsys.readouterr().err
    # Resuming with the other form would mix two prompt forms in one run: refused.
    out = tmp_path / f"run-{chat_model_dir.name}-chat"
    assert cli_main(["eval", "--model", str(chat_model_dir), "--suite", file, "--out", str(out),
                     "--chat-template", "off", "--no-progress"]) == 2
    assert "prompt_form: 'chat' -> 'bare'" in capsys.readouterr().err
    # A folder made before the form was recorded ran bare (a local model): it resumes bare,
    # and chat on top of it is refused.
    old = tmp_path / f"run-{chat_model_dir.name}-bare"
    config = yaml.safe_load((old / "config.yaml").read_text())
    del config["prompt_form"]
    (old / "config.yaml").write_text(yaml.safe_dump(config))
    assert cli_main(["eval", "--model", str(chat_model_dir), "--suite", file, "--out", str(old),
                     "--no-progress"]) == 2
    assert "prompt_form: 'bare' -> 'chat'" in capsys.readouterr().err
    assert cli_main(["eval", "--model", str(chat_model_dir), "--suite", file, "--out", str(old),
                     "--chat-template", "off", "--no-progress"]) == 0


def test_train_resolves_auto_and_records_it(chat_model_dir, tiny_model_dir):
    from reasonlab.train.config import load_recipe

    chat = load_recipe("smoke", [f"model={chat_model_dir}"])
    assert chat.prompt.chat is True and chat.to_dict()["prompt"]["chat"] is True
    assert load_recipe("smoke", [f"model={tiny_model_dir}"]).prompt.chat is False
    assert load_recipe("smoke", ["model=init:tiny"]).prompt.chat is False
    assert load_recipe("smoke", [f"model={chat_model_dir}", "prompt.chat=false"]).prompt.chat \
        is False
    with pytest.raises(ConfigError, match="prompt.chat"):
        load_recipe("smoke", ["model=init:tiny", "prompt.chat=sometimes"])


def test_model_generate_uses_the_template_by_default(chat_model_dir, capsys):
    assert cli_main(["model", "generate", "--model", str(chat_model_dir), "--prompt", "1+1",
                     "--max-tokens", "2"]) == 0
    assert cli_main(["model", "generate", "--model", str(chat_model_dir), "--prompt", "1+1",
                     "--max-tokens", "2", "--chat-template", "off"]) == 0
    chat, bare = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert chat["prompt_tokens"] > bare["prompt_tokens"]     # the template's role markers
