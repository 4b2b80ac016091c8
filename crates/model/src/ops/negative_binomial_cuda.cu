// The negative binomial log-likelihood of decoder logits on a CUDA GPU, compiled at run time
// by NVRTC (negative_binomial_cuda.rs). One block per row of the minibatch; the row's softmax
// is reduced in the block, and each value is computed in double precision:
//   μ = softmax(logits) · library,
//   ℓ = θ(ln(θ+ε) − ln(θ+μ+ε)) + x(ln(μ+ε) − ln(θ+μ+ε)) + ln Γ(x+θ) − ln Γ(θ) − ln Γ(x+1)
// (scVI's log_nb_positive, ε = 1e-8). Backward, with upstream g (per row or per value):
//   w_j = g·μ_j·(x/(μ+ε) − (θ+x)/(θ+μ+ε)),  ∂/∂logit_j = w_j − p_j Σ_i w_i,
//   ∂/∂θ_j = g·(ln(θ+ε) + θ/(θ+ε) − ln(θ+μ+ε) − (θ+x)/(θ+μ+ε) + ψ(x+θ) − ψ(θ)),
// the last per value, summed over the rows by the caller (a fixed order: deterministic).
// Block reductions are fixed trees over THREADS threads, so the results repeat exactly.

#define THREADS 256
#define EPS 1e-8

__device__ double block_sum(double v, double* buf) {
    buf[threadIdx.x] = v;
    __syncthreads();
    for (int s = THREADS / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) buf[threadIdx.x] += buf[threadIdx.x + s];
        __syncthreads();
    }
    double total = buf[0];
    __syncthreads();
    return total;
}

__device__ double block_max(double v, double* buf) {
    buf[threadIdx.x] = v;
    __syncthreads();
    for (int s = THREADS / 2; s > 0; s >>= 1) {
        if (threadIdx.x < s) buf[threadIdx.x] = fmax(buf[threadIdx.x], buf[threadIdx.x + s]);
        __syncthreads();
    }
    double total = buf[0];
    __syncthreads();
    return total;
}

// ψ(x) for x > 0: recurrence up to 6, then the asymptotic series (error below 1e-12).
__device__ double digamma(double x) {
    double result = 0.0;
    while (x < 6.0) {
        result -= 1.0 / x;
        x += 1.0;
    }
    double f = 1.0 / (x * x);
    double tail = f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f / 132))));
    return result + log(x) - 0.5 / x - tail;
}

// The row's max logit and Σ exp(logit − max), for p_j = exp(logit_j − max) / sum.
__device__ void softmax_stats(const float* logits, int genes, double* buf, double* max, double* sum) {
    double m = -1e300;
    for (int j = threadIdx.x; j < genes; j += THREADS) m = fmax(m, (double)logits[j]);
    m = block_max(m, buf);
    double s = 0.0;
    for (int j = threadIdx.x; j < genes; j += THREADS) s += exp((double)logits[j] - m);
    *max = m;
    *sum = block_sum(s, buf);
}

// out: [rows] row sums when sum_rows, else [rows, genes] values.
extern "C" __global__ void nb_forward(const float* x, const float* logits, const float* theta,
                                      const float* library, float* out, int genes, int sum_rows) {
    __shared__ double buf[THREADS];
    const long row = blockIdx.x;
    const float* xr = x + row * genes;
    const float* lr = logits + row * genes;
    double m, s;
    softmax_stats(lr, genes, buf, &m, &s);
    const double lib = library[row];
    double acc = 0.0;
    for (int j = threadIdx.x; j < genes; j += THREADS) {
        double mu = exp((double)lr[j] - m) / s * lib;
        double th = theta[j], xv = xr[j];
        double log_theta_mu = log(th + mu + EPS);
        double v = th * (log(th + EPS) - log_theta_mu);
        if (xv != 0.0) {
            v += xv * (log(mu + EPS) - log_theta_mu) + lgamma(xv + th) - lgamma(th) - lgamma(xv + 1.0);
        }
        if (sum_rows) acc += v;
        else out[row * genes + j] = (float)v;
    }
    if (sum_rows) {
        acc = block_sum(acc, buf);
        if (threadIdx.x == 0) out[row] = (float)acc;
    }
}

// grad: [rows] when sum_rows, else [rows, genes]. out: [2, rows, genes], ∂/∂logits then the
// per-value ∂/∂θ.
extern "C" __global__ void nb_backward(const float* x, const float* logits, const float* theta,
                                       const float* library, const float* grad, float* out,
                                       int rows, int genes, int sum_rows) {
    __shared__ double buf[THREADS];
    const long row = blockIdx.x;
    const float* xr = x + row * genes;
    const float* lr = logits + row * genes;
    float* d_logits = out + row * genes;
    float* d_theta = out + (long)rows * genes + row * genes;
    double m, s;
    softmax_stats(lr, genes, buf, &m, &s);
    const double lib = library[row];
    double w_sum = 0.0;
    for (int j = threadIdx.x; j < genes; j += THREADS) {
        double g = sum_rows ? grad[row] : grad[row * genes + j];
        double mu = exp((double)lr[j] - m) / s * lib;
        double th = theta[j], xv = xr[j];
        double q = 1.0 / (th + mu + EPS);
        double w = g * mu * (xv / (mu + EPS) - (th + xv) * q);
        d_logits[j] = (float)w;
        w_sum += w;
        double dt = log(th + EPS) + th / (th + EPS) - log(th + mu + EPS) - (th + xv) * q;
        if (xv != 0.0) dt += digamma(xv + th) - digamma(th);
        d_theta[j] = (float)(g * dt);
    }
    w_sum = block_sum(w_sum, buf);
    for (int j = threadIdx.x; j < genes; j += THREADS) {
        double p = exp((double)lr[j] - m) / s;
        d_logits[j] = (float)((double)d_logits[j] - p * w_sum);
    }
}
