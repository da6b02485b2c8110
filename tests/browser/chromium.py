"""How the project starts Debian's chromium under Playwright (tests and screenshots alike).

Never `playwright install`: it downloads a browser, which this project's machines cannot.
The flags keep chromium from reaching out to Google's services, which a closed network
refuses many times a second.
"""

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
