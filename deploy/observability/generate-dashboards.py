"""Generates the Grafana dashboards of deploy/observability/grafana/dashboards (run: python3 deploy/observability/generate-dashboards.py)."""
import json
DS = {"type": "prometheus", "uid": "${datasource}"}
def dash(uid, title, desc, panels):
    out=[]; x=0; y=0
    for i,(ptype,ptitle,unit,exprs,pdesc) in enumerate(panels):
        w = 12 if ptype=="timeseries" else 6
        h = 8 if ptype=="timeseries" else 4
        if x + w > 24: x=0; y+=8
        out.append({"id": i+1, "type": ptype, "title": ptitle, "description": pdesc, "datasource": DS,
            "gridPos": {"h": h, "w": w, "x": x, "y": y},
            "fieldConfig": {"defaults": {"unit": unit}, "overrides": []}, "options": {},
            "targets": [{"refId": chr(65+j), "expr": e, "legendFormat": l, "datasource": DS} for j,(e,l) in enumerate(exprs)]})
        x += w
    return {"uid": uid, "title": title, "description": desc, "tags": ["failsoft"], "timezone": "browser", "schemaVersion": 39, "version": 1,
        "editable": True, "refresh": "5s", "time": {"from": "now-15m", "to": "now"},
        "templating": {"list": [{"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Prometheus"}]},
        "annotations": {"list": []}, "panels": out}
R='[1m]'
overview = dash("failsoft-overview","Failsoft: platform overview","Golden signals per service: traffic, errors, latency, saturation; instances up.",[
 ("stat","Instances up","none",[('count(up{job="failsoft"} == 1)',"up")],"Instances Prometheus scrapes successfully."),
 ("stat","Instances down","none",[('count(up{job="failsoft"} == 0) or vector(0)',"down")],"Instances whose scrape fails (killed, hung, restarting)."),
 ("stat","Calls in flight","none",[('sum(failsoft_server_in_flight)',"in flight")],"gRPC calls being served right now, all services."),
 ("stat","Server error ratio","percentunit",[(f'sum(rate(failsoft_server_calls_total{{code!="OK"}}{R})) / clamp_min(sum(rate(failsoft_server_calls_total{R})), 1e-9)',"errors")],"Share of incoming gRPC calls not answered OK."),
 ("timeseries","Traffic: served calls/s by service","reqps",[(f'sum by (service) (rate(failsoft_server_calls_total{R}))',"{{service}}")],"Incoming gRPC calls per second (refused ones included)."),
 ("timeseries","Errors: non-OK calls/s by service and code","reqps",[(f'sum by (service, code) (rate(failsoft_server_calls_total{{code!="OK"}}{R}))',"{{service}} {{code}}")],"Incoming calls answered with an error status."),
 ("timeseries","Latency: p99 of served calls by service","s",[(f'histogram_quantile(0.99, sum by (service, le) (rate(failsoft_server_call_duration_seconds_bucket{R})))',"{{service}} p99"),(f'histogram_quantile(0.5, sum by (service, le) (rate(failsoft_server_call_duration_seconds_bucket{R})))',"{{service}} p50")],"Time to answer incoming gRPC calls."),
 ("timeseries","Latency: p99 of outgoing calls by downstream","s",[(f'histogram_quantile(0.99, sum by (service, le) (rate(failsoft_client_call_duration_seconds_bucket{R})))',"to {{service}} p99")],"Latency callers see, all attempts included (the label service is the downstream)."),
 ("timeseries","Saturation: in-flight calls by instance","none",[('sum by (instance) (failsoft_server_in_flight)',"{{instance}}")],"Calls being served per instance (shedding starts at maxConcurrent)."),
 ("timeseries","Outgoing calls/s by downstream and code","reqps",[(f'sum by (service, code) (rate(failsoft_client_calls_total{R}))',"to {{service}} {{code}}")],"Final outcome of outgoing calls (after retries)."),
])
resil = dash("failsoft-resilience","Failsoft: resilience","Breakers, outlier ejection, retries and their budget, failovers, fallbacks, shedding, deadlines, injected faults.",[
 ("stat","Open instance breakers","none",[('count(failsoft_breaker_state{instance!="*"} == 2) or vector(0)',"open")],"Instance breakers open right now (ejected instances), all callers."),
 ("stat","Open service breakers","none",[('count(failsoft_breaker_state{instance="*"} == 2) or vector(0)',"open")],"Whole-service breakers open right now."),
 ("stat","Failovers (15 m)","none",[('sum(increase(failsoft_client_failovers_total[15m]))',"failovers")],"Retries sent to another instance after one failed."),
 ("stat","Fallbacks (15 m)","none",[('sum(increase(failsoft_client_fallbacks_total[15m]))',"fallbacks")],"Calls answered with degraded data by their fallback."),
 ("timeseries","Breaker state by caller, downstream and instance","none",[('max by (app, service, instance) (failsoft_breaker_state)',"{{app}} → {{service}}/{{instance}}")],"0 closed, 1 half-open, 2 open; instance * is the per-service breaker. Labels: app is the caller, service/instance the downstream."),
 ("timeseries","Ejections/s by downstream instance","none",[(f'sum by (service, instance) (rate(failsoft_ejections_total{R}))',"{{service}}/{{instance}}")],"Instances ejected by outlier detection."),
 ("timeseries","Retries and failovers/s by downstream","reqps",[(f'sum by (service) (rate(failsoft_client_retries_total{R}))',"retries to {{service}}"),(f'sum by (service) (rate(failsoft_client_failovers_total{R}))',"failovers to {{service}}")],"Retries are budgeted; a failover is a retry on another instance."),
 ("timeseries","Retry budget left by downstream","none",[('min by (service) (failsoft_retry_budget_remaining)',"{{service}}")],"Retries the budget allows right now (lowest caller)."),
 ("timeseries","Fallbacks/s by downstream and method","reqps",[(f'sum by (service, method) (rate(failsoft_client_fallbacks_total{R}))',"{{service}}.{{method}}")],"Degraded answers served instead of errors."),
 ("timeseries","Shed, deadline-refused and unauthenticated calls/s","reqps",[(f'sum by (service) (rate(failsoft_server_shed_total{R}))',"shed {{service}}"),(f'sum by (service) (rate(failsoft_server_deadline_refused_total{R}))',"deadline refused {{service}}"),(f'sum by (service) (rate(failsoft_server_unauthenticated_total{R}))',"unauthenticated {{service}}")],"Calls refused at admission."),
 ("timeseries","Injected faults/s by kind","reqps",[(f'sum by (service, kind) (rate(failsoft_faults_injected_total{R}))',"{{service}} {{kind}}")],"Chaos experiments in progress (failsoft fault ...)."),
])
redis = dash("failsoft-redis","Failsoft: Redis","Durable writes (write + WAIT), WAIT outcomes, lease holders and renewals, as the services see Redis behind Sentinel.",[
 ("stat","Durable writes acked (15 m)","none",[('sum(increase(failsoft_durable_write_wait_total{result="acked"}[15m]))',"acked")],"Writes confirmed by WAIT."),
 ("stat","Durable writes failed (15 m)","none",[('sum(increase(failsoft_durable_write_wait_total{result="failed"}[15m])) or vector(0)',"failed")],"Writes not confirmed (failover, replicas down)."),
 ("stat","Lease holders","none",[('sum by (lease) (failsoft_lease_holder)',"{{lease}}")],"Processes holding each lease right now (1 expected; 0 during a handover)."),
 ("timeseries","Durable write latency p99 / p50","s",[(f'histogram_quantile(0.99, sum by (le) (rate(failsoft_durable_write_duration_seconds_bucket{R})))',"p99"),(f'histogram_quantile(0.5, sum by (le) (rate(failsoft_durable_write_duration_seconds_bucket{R})))',"p50")],"Write + WAIT until acknowledged; rises during a failover."),
 ("timeseries","WAIT outcomes/s","ops",[(f'sum by (result) (rate(failsoft_durable_write_wait_total{R}))',"{{result}}")],"acked: enough replicas confirmed; failed: not durable."),
 ("timeseries","Lease holder by instance","none",[('max by (lease, holder) (failsoft_lease_holder)',"{{lease}} {{holder}}")],"Which instance holds each lease: a change is a failover of the singleton."),
 ("timeseries","Lease renewals/s by result","ops",[(f'sum by (lease, result) (rate(failsoft_lease_renewals_total{R}))',"{{lease}} {{result}}")],"renewed, lost (term gone) or error (Redis failed)."),
])
import os
HERE = os.path.dirname(os.path.abspath(__file__))
for name, d in [("overview", overview), ("resilience", resil), ("redis", redis)]:
    # the canonical copy, and the kustomize component's (kustomize reads files below its folder only)
    for folder in [os.path.join(HERE, "grafana", "dashboards"), os.path.join(HERE, "..", "k8s", "components", "observability", "dashboards")]:
        with open(os.path.join(folder, f"failsoft-{name}.json"), "w") as f:
            f.write(json.dumps(d, indent=2) + "\n")
