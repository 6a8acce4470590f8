#include <oneapi/dnnl/dnnl.h>

// oneDNN 2.6 here is built on the OpenMP runtime (libgomp): its thread count
// follows the calling thread's OpenMP setting. Declared here because omp.h is
// not on the default include path.
void omp_set_num_threads(int num_threads);
int omp_get_max_threads(void);

// DNNL_MEMORY_ALLOCATE is a cast macro Swift cannot import.
static inline void *igcam_dnnl_memory_allocate(void) { return DNNL_MEMORY_ALLOCATE; }
