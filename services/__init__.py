"""Sparkhu's HTTP services (the retention service today; a control service later).

They sit on top of the ``sparkhu`` library and may import it; the library never imports them (an
import-linter contract): ``sparkhu retention serve`` names its application by an import string.
"""
