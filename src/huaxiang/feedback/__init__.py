"""Customer feedback: pain-point themes counted over customers, and keywords for word clouds."""

from huaxiang.feedback.keywords import FeedbackKeywords, Vocabulary, feedback_keywords
from huaxiang.feedback.lexicon import Lexicon, Theme, load_lexicon
from huaxiang.feedback.themes import PainPoints, ThemeCount, ThemeShares, theme_shares

__all__ = [
    "FeedbackKeywords",
    "Lexicon",
    "PainPoints",
    "Theme",
    "ThemeCount",
    "ThemeShares",
    "Vocabulary",
    "feedback_keywords",
    "load_lexicon",
    "theme_shares",
]
