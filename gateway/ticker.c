#include "autoconf.h"

#include <pthread.h>
#include <stdlib.h>

#include "ticker.h"
#include "util.h"

struct kp_ticker {
	const char	*name;
	int64_t		 interval_ms;
	void		(*job)(void *);
	void		*arg;
	pthread_t	 thread;
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	int		 stopping, woken;
};

static void *
ticker_main(void *arg)
{
	struct kp_ticker *t = arg;

	pthread_mutex_lock(&t->lock);
	while (!t->stopping) {
		int64_t due = kp_now_ms() + t->interval_ms;
		struct timespec ts = { due / 1000, (due % 1000) * 1000000 };

		while (!t->stopping && !t->woken && kp_now_ms() < due)
			pthread_cond_timedwait(&t->cond, &t->lock, &ts);
		if (t->stopping)
			break;
		t->woken = 0;
		pthread_mutex_unlock(&t->lock);
		t->job(t->arg);
		pthread_mutex_lock(&t->lock);
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

struct kp_ticker *
kp_ticker_start(const char *name, int64_t interval_ms, void (*job)(void *),
    void *arg, struct kp_err *err)
{
	struct kp_ticker *t;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		kp_fail(err, KP_ERR_NOMEM, "out of memory");
		return NULL;
	}
	t->name = name;
	t->interval_ms = interval_ms;
	t->job = job;
	t->arg = arg;
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->cond, NULL);
	if (pthread_create(&t->thread, NULL, ticker_main, t) != 0) {
		pthread_mutex_destroy(&t->lock);
		pthread_cond_destroy(&t->cond);
		free(t);
		kp_fail(err, KP_ERR_SYS, "cannot start the %s thread", name);
		return NULL;
	}
	return t;
}

void
kp_ticker_wake(struct kp_ticker *t)
{
	if (t == NULL)
		return;
	pthread_mutex_lock(&t->lock);
	t->woken = 1;
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->lock);
}

void
kp_ticker_stop(struct kp_ticker *t)
{
	if (t == NULL)
		return;
	pthread_mutex_lock(&t->lock);
	t->stopping = 1;
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->thread, NULL);
	pthread_mutex_destroy(&t->lock);
	pthread_cond_destroy(&t->cond);
	free(t);
}
