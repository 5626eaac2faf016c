"""Persona cards (客户画像卡): segments and clusters described from the warehouse's data."""

from huaxiang.personas.card import PersonaCard, build_card
from huaxiang.personas.keywords import extract_keywords, keyword_shares
from huaxiang.personas.render import card_renderable, render_html

__all__ = [
    "PersonaCard",
    "build_card",
    "card_renderable",
    "extract_keywords",
    "keyword_shares",
    "render_html",
]
