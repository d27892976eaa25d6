/* The MPI side of `upernet evaluate` (see eval_mpi.h). MPI starts only when
 * an MPI launcher started the process (Open MPI sets OMPI_COMM_WORLD_SIZE,
 * PMIx launchers PMIX_RANK), so a plain `upernet evaluate` of an MPI build
 * never needs the MPI runtime. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/eval_mpi.h"

#ifdef UPERNET_WITH_MPI
#include <mpi.h>

static int launched_by_mpi(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") != NULL || getenv("PMIX_RANK") != NULL ||
           getenv("PMI_RANK") != NULL;
}

int eval_mpi_start(struct eval_ranks *ranks)
{
    ranks->rank = 0;
    ranks->count = 1;
    if (!launched_by_mpi())
        return 0;
    /* Only the calling thread makes MPI calls; the image loop's helper
     * threads never do. */
    int provided;
    if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        fprintf(stderr, "upernet evaluate: MPI_Init_thread failed\n");
        return -1;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &ranks->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks->count);
    return 0;
}

int eval_mpi_all_ok(const struct eval_ranks *ranks, int ok)
{
    if (ranks->count == 1)
        return ok;
    int all = 0;
    if (MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD) != MPI_SUCCESS)
        return 0;
    return all;
}

int eval_mpi_reduce_counts(const struct eval_ranks *ranks, upernet_iou_counts *counts)
{
    if (ranks->count == 1)
        return 0;
    /* The four vectors are one block (upernet_iou_counts_init), then the
     * two totals: one reduction. */
    const int n = 4 * counts->num_classes + 2;
    int64_t *mine = malloc((size_t) n * sizeof *mine), *sum = malloc((size_t) n * sizeof *sum);
    if (mine == NULL || sum == NULL) {
        free(mine);
        free(sum);
        fprintf(stderr, "upernet evaluate: out of memory for the MPI reduction\n");
        return -1;
    }
    const int c = counts->num_classes;
    memcpy(mine, counts->area_intersect, (size_t) c * sizeof *mine);
    memcpy(mine + c, counts->area_union, (size_t) c * sizeof *mine);
    memcpy(mine + 2 * c, counts->area_pred, (size_t) c * sizeof *mine);
    memcpy(mine + 3 * c, counts->area_label, (size_t) c * sizeof *mine);
    mine[4 * c] = counts->out_of_range_labels;
    mine[4 * c + 1] = counts->images;
    const int rc = MPI_Reduce(mine, sum, n, MPI_INT64_T, MPI_SUM, 0, MPI_COMM_WORLD);
    if (rc == MPI_SUCCESS && ranks->rank == 0) {
        memcpy(counts->area_intersect, sum, (size_t) c * sizeof *sum);
        memcpy(counts->area_union, sum + c, (size_t) c * sizeof *sum);
        memcpy(counts->area_pred, sum + 2 * c, (size_t) c * sizeof *sum);
        memcpy(counts->area_label, sum + 3 * c, (size_t) c * sizeof *sum);
        counts->out_of_range_labels = sum[4 * c];
        counts->images = sum[4 * c + 1];
    }
    free(mine);
    free(sum);
    if (rc != MPI_SUCCESS) {
        fprintf(stderr, "upernet evaluate: MPI_Reduce of the counts failed\n");
        return -1;
    }
    return 0;
}

void eval_mpi_stop(const struct eval_ranks *ranks)
{
    (void) ranks;
    if (launched_by_mpi())
        MPI_Finalize();
}

#else /* without MPI: always one process */

int eval_mpi_start(struct eval_ranks *ranks)
{
    ranks->rank = 0;
    ranks->count = 1;
    return 0;
}

int eval_mpi_all_ok(const struct eval_ranks *ranks, int ok)
{
    (void) ranks;
    return ok;
}

int eval_mpi_reduce_counts(const struct eval_ranks *ranks, upernet_iou_counts *counts)
{
    (void) ranks;
    (void) counts;
    return 0;
}

void eval_mpi_stop(const struct eval_ranks *ranks)
{
    (void) ranks;
}

#endif
