/*
 * log — the daemon's and the commands' log lines, on stderr.
 *
 * log_warnx / log_info / log_debug / fatalx carry the calling function's
 * name.  Nothing is logged at WARN in normal operation.  Never pass a BSN,
 * a key or a message body: log message ids, partner OINs and codes.
 */
#ifndef KP_LOG_H
#define KP_LOG_H

enum kp_log_level { KP_LOG_WARN = 0, KP_LOG_INFO = 1, KP_LOG_DEBUG = 2 };

void	kp_log_init(const char *ident, enum kp_log_level level);
void	kp_log_set_level(enum kp_log_level level);
/* The least level set_level may set (serve -v: debug, over reloads too). */
void	kp_log_set_floor(enum kp_log_level level);
void	kp_log(enum kp_log_level level, const char *func, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	kp_fatal(const char *func, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3), noreturn));

#define log_warnx(...)	kp_log(KP_LOG_WARN, __func__, __VA_ARGS__)
#define log_info(...)	kp_log(KP_LOG_INFO, __func__, __VA_ARGS__)
#define log_debug(...)	kp_log(KP_LOG_DEBUG, __func__, __VA_ARGS__)
#define fatalx(...)	kp_fatal(__func__, __VA_ARGS__)

#endif
