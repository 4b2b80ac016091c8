// One AdamW step of a variable on a CUDA GPU, in place, compiled at run time by NVRTC
// (adamw_cuda.rs): the host optimiser's arithmetic (train/optim.rs, `Update`), one thread per
// value, instead of some fifteen tensor ops and three copies per variable.
extern "C" __global__ void adamw_step(float* theta, float* m, float* v, const float* grad, long n,
                                      float beta1, float beta2, float scale_m, float scale_v,
                                      float decay, float lr, float eps) {
    long i = (long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    float g = grad[i];
    float mi = beta1 * m[i] + (1.0f - beta1) * g;
    float vi = beta2 * v[i] + (1.0f - beta2) * g * g;
    float step = (mi * scale_m) / (sqrtf(vi * scale_v) + eps);
    theta[i] = theta[i] * decay - lr * step;
    m[i] = mi;
    v[i] = vi;
}
