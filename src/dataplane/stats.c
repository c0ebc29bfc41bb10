#include "dataplane/stats.h"

#include <inttypes.h>

static uint64_t load(const uint64_t *v)
{
	return __atomic_load_n(v, __ATOMIC_RELAXED);
}

void stats_add(struct stats *out, const struct stats *s)
{
	out->rx6 += load(&s->rx6);
	out->rx4 += load(&s->rx4);
	out->tx4 += load(&s->tx4);
	out->tx6 += load(&s->tx6);
	out->replies += load(&s->replies);
	out->replies_limited += load(&s->replies_limited);
	out->fragments += load(&s->fragments);
	out->gso += load(&s->gso);
	out->bad_vnet += load(&s->bad_vnet);
	out->rx_other += load(&s->rx_other);
	out->read_errors += load(&s->read_errors);
	out->write_errors += load(&s->write_errors);
	out->bindings_failed += load(&s->bindings_failed);
	for (unsigned r = 0; r < XLAT_DROP__MAX; r++)
		out->drops[r] += load(&s->drops[r]);
}

uint64_t stats_drops(const struct stats *s)
{
	uint64_t sum = 0;

	for (unsigned r = 0; r < XLAT_DROP__MAX; r++)
		sum += s->drops[r];
	return sum;
}

void stats_print(const struct stats *s, FILE *out)
{
	fprintf(out, "rx6 %" PRIu64 " rx4 %" PRIu64 " tx4 %" PRIu64 " tx6 %" PRIu64
		" replies %" PRIu64 " replies_limited %" PRIu64 " fragments %" PRIu64
		" gso %" PRIu64 " drops %" PRIu64 " read_errors %" PRIu64
		" write_errors %" PRIu64 " bindings_failed %" PRIu64 " bad_vnet %" PRIu64 "\n",
		s->rx6, s->rx4, s->tx4, s->tx6, s->replies, s->replies_limited,
		s->fragments, s->gso, stats_drops(s), s->read_errors, s->write_errors,
		s->bindings_failed, s->bad_vnet);
	for (unsigned r = 1; r < XLAT_DROP__MAX; r++)
		if (s->drops[r])
			fprintf(out, "drop %s %" PRIu64 "\n",
				xlat_drop_name((enum xlat_drop)r), s->drops[r]);
}
