/* `mpirun -n N upernet evaluate`: the ranks split the image list like
 * shards and rank 0 receives the summed counts. Built only with
 * ./configure --with-mpi; otherwise every function is the single-process
 * case (one rank, nothing to reduce). */
#ifndef UPERNET_CLI_EVAL_MPI_H
#define UPERNET_CLI_EVAL_MPI_H

#include "upernet.h"

struct eval_ranks {
    int rank;  /* 0-based */
    int count; /* 1 when not under mpirun */
};

/* Starts MPI when this process was launched by an MPI launcher; fills
 * *ranks. Returns -1 (message printed) if MPI cannot start. */
int eval_mpi_start(struct eval_ranks *ranks);

/* 1 if every rank passes ok = 1 (all ranks must call it at the same point). */
int eval_mpi_all_ok(const struct eval_ranks *ranks, int ok);

/* Sums every rank's counts into rank 0's (in place there). Returns -1
 * (message printed) on an MPI failure. */
int eval_mpi_reduce_counts(const struct eval_ranks *ranks, upernet_iou_counts *counts);

void eval_mpi_stop(const struct eval_ranks *ranks);

#endif
