/* SPDX-License-Identifier: GPL-2.0 */
/* replay.h - `datatrail trace verify|cat` and `datatrail replay`: recorded traces, offline. */
#ifndef DT_REPLAY_H
#define DT_REPLAY_H

/* Each takes the subcommand's own argv (argv[0] is the subcommand) and returns an exit status. */
int cmd_trace(int argc, char **argv);
int cmd_replay(int argc, char **argv);

#endif /* DT_REPLAY_H */
