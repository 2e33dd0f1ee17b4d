"""The AWX surveys as AWX builds them: a job template's survey lists keys of awx/questions.yml, which defines each
question once."""

import pathlib

import yaml

AWX = pathlib.Path(__file__).resolve().parents[2] / "awx"


def definitions():
    """Each question by its key."""
    return yaml.safe_load((AWX / "questions.yml").read_text())["questions"]


def questions(template):
    """The questions of ``template`` (a job template or the workflow of awx/*.yml), in order."""
    known = definitions()
    return [known[key] for key in template["survey"]]


def templates():
    """Every job template and workflow that carries a survey, by name, from awx/job-templates.yml and awx/fleet.yml."""
    fleet = yaml.safe_load((AWX / "fleet.yml").read_text())
    found = yaml.safe_load((AWX / "job-templates.yml").read_text())["job_templates"] + fleet["job_templates"]
    return {template["name"]: template for template in found + [fleet["workflow"]]}
