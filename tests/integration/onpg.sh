# onpg.sh SUITE — sourced by SUITE-pg.sh: SUITE.sh with every gateway's
# store on PostgreSQL (the test library's backend switch, KP_BACKEND): a
# cluster of the test's own, a database per gateway.  A heavy variant: it
# runs in the normal build only (configure --disable-heavy-tests skips it).
if [ "${KP_HEAVY:-yes}" = no ]; then
	echo "1..0 # SKIP heavy variant: runs in the normal build (configure --disable-heavy-tests)"
	exit 0
fi
KP_BACKEND=postgresql exec bash "$SRCDIR/tests/integration/$1.sh"
