#!/bin/sh
# po/update-pot.sh - collect the messages marked for translation (_("..."),
# N_("..."), C_("context", "..."), NC_("context", "...") in the C sources)
# into po/consentblur.pot, then bring every po/LL.po named in po/LINGUAS up to
# date with it (msgmerge: new messages appear untranslated, changed ones marked
# fuzzy; translate those, then rebuild). See README.md, "Languages".
#
#   po/update-pot.sh           rewrite po/consentblur.pot and merge it into po/*.po
#   po/update-pot.sh --check   change nothing; exit 1 when po/consentblur.pot does
#                              not hold exactly the messages the sources mark
#
# Needs xgettext, msgmerge and msgcmp (Debian package gettext).
set -eu
cd "$(dirname "$0")/.."

# The files whose messages are translated; add a file here when you mark
# messages in it.
sources() {
    ls cli/*.c consent/decide.c consent/replay.c pipeline/enroll.c pipeline/inbox.c pipeline/photo.c \
        pipeline/video.c recognise/judge.c common/*.c | LC_ALL=C sort
}

extract() {
    # shellcheck disable=SC2046
    xgettext --language=C --from-code=UTF-8 --keyword=_ --keyword=N_ --keyword=C_:1c,2 \
        --keyword=NC_:1c,2 \
        --add-comments=TRANSLATORS: --add-location=file --sort-by-file \
        --package-name=consentblur --package-version=0.1.0 \
        --msgid-bugs-address='the consentblur maintainers' \
        --copyright-holder='the consentblur authors' \
        -o "$1" $(sources)
}

if [ "${1:-}" = "--check" ]; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    extract "$tmp/new.pot"
    # Same set of messages both ways (the header's date is allowed to differ).
    if msgcmp --use-untranslated "$tmp/new.pot" po/consentblur.pot 2>"$tmp/a" &&
       msgcmp --use-untranslated po/consentblur.pot "$tmp/new.pot" 2>"$tmp/b"; then
        echo "po/consentblur.pot is up to date"
        exit 0
    fi
    cat "$tmp/a" "$tmp/b" >&2 || true
    echo "po/consentblur.pot is out of date: run po/update-pot.sh" >&2
    exit 1
fi

extract po/consentblur.pot
echo "po/consentblur.pot: $(grep -c '^msgid ' po/consentblur.pot) entries (the first is the header)"
grep -v '^#' po/LINGUAS | while read -r lang; do
    [ -n "$lang" ] || continue
    if [ -f "po/$lang.po" ]; then
        msgmerge --quiet --update --backup=none "po/$lang.po" po/consentblur.pot
    else
        msginit --no-translator --locale="$lang" --input=po/consentblur.pot -o "po/$lang.po"
    fi
    printf 'po/%s.po: ' "$lang"
    msgfmt --check --statistics -o /dev/null "po/$lang.po"
done
