/* SPDX-License-Identifier: GPL-2.0 */
/* test.h - a small selftests-style harness: ASSERT_* macros that print the tag and both values. */
#ifndef DT_TEST_H
#define DT_TEST_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/*
 * A test is a void function; an assertion that fails marks the running test failed and
 * prints where and why, then the test goes on, so one run shows every broken expectation.
 * The ASSERT_* macros evaluate to the truth of the check, so a test can stop early with
 * `if (!ASSERT_...) return;` when the rest would dereference something that is missing.
 */
extern int test__failed;

#define DT_FAIL_(tag, fmt, ...)                                                                    \
	(fprintf(stderr, "%s:%d: %s: " fmt "\n", __FILE__, __LINE__, tag, ##__VA_ARGS__),          \
	 test__failed = 1, false)

#define ASSERT_TRUE(cond, tag) ((cond) ? true : DT_FAIL_(tag, "unexpected false: %s", #cond))
#define ASSERT_FALSE(cond, tag) (!(cond) ? true : DT_FAIL_(tag, "unexpected true: %s", #cond))
#define ASSERT_EQ(actual, expected, tag)                                                           \
	({                                                                                         \
		long long a___ = (long long)(actual), e___ = (long long)(expected);                \
		a___ == e___ ? true : DT_FAIL_(tag, "actual %lld != expected %lld", a___, e___);   \
	})
#define ASSERT_NEQ(actual, unexpected, tag)                                                        \
	({                                                                                         \
		long long a___ = (long long)(actual), e___ = (long long)(unexpected);              \
		a___ != e___ ? true : DT_FAIL_(tag, "actual %lld == unexpected %lld", a___, e___); \
	})
#define ASSERT_GE(actual, least, tag)                                                              \
	({                                                                                         \
		long long a___ = (long long)(actual), e___ = (long long)(least);                   \
		a___ >= e___ ? true : DT_FAIL_(tag, "actual %lld < expected at least %lld", a___,  \
					       e___);                                              \
	})
#define ASSERT_OK(err, tag)                                                                        \
	({                                                                                         \
		long long r___ = (long long)(err);                                                 \
		r___ == 0 ? true : DT_FAIL_(tag, "unexpected error: %lld", r___);                  \
	})
#define ASSERT_ERR(err, tag)                                                                       \
	({                                                                                         \
		long long r___ = (long long)(err);                                                 \
		r___ < 0 ? true : DT_FAIL_(tag, "unexpected success: %lld", r___);                 \
	})
#define ASSERT_STREQ(actual, expected, tag)                                                        \
	({                                                                                         \
		const char *a___ = (actual), *e___ = (expected);                                   \
		(a___ && e___ && !strcmp(a___, e___))                                              \
			? true                                                                     \
			: DT_FAIL_(tag, "actual '%s' != expected '%s'", a___ ? a___ : "(null)",    \
				   e___ ? e___ : "(null)");                                        \
	})
#define ASSERT_HAS(haystack, needle, tag)                                                          \
	({                                                                                         \
		const char *h___ = (haystack), *n___ = (needle);                                   \
		(h___ && strstr(h___, n___))                                                       \
			? true                                                                     \
			: DT_FAIL_(tag, "'%s' does not contain '%s'", h___ ? h___ : "(null)",      \
				   n___);                                                          \
	})

struct test_case {
	const char *name;
	void (*fn)(void);
};

#define TEST_CASE(fn) { #fn, fn }

/* Runs the cases (all, or those whose name contains argv[1]); prints one line per case. */
static inline int test_main(const char *suite, const struct test_case *cases, size_t n, int argc,
			    char **argv)
{
	int passed = 0, failed = 0;

	for (size_t i = 0; i < n; i++) {
		if (argc > 1 && !strstr(cases[i].name, argv[1]))
			continue;
		test__failed = 0;
		cases[i].fn();
		if (test__failed)
			failed++;
		else
			passed++;
		printf("%s %s/%s\n", test__failed ? "FAIL" : "ok  ", suite, cases[i].name);
		fflush(stdout);
	}
	printf("RESULT %s: %d passed, %d failed\n", suite, passed, failed);
	return failed ? 1 : 0;
}

#define TEST_MAIN(suite, ...)                                                                      \
	int test__failed;                                                                          \
	int main(int argc, char **argv)                                                            \
	{                                                                                          \
		static const struct test_case cases___[] = { __VA_ARGS__ };                        \
		return test_main(suite, cases___, sizeof(cases___) / sizeof(cases___[0]), argc,    \
				 argv);                                                            \
	}

#endif /* DT_TEST_H */
